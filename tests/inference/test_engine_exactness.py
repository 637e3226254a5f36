"""The engine's batching and drafts change speed, never answers: compared with plain one-at-a-time greedy, with the
torch decoder in each dtype this CPU serves and with llama.cpp over the version's Q8_0 GGUF."""

from __future__ import annotations

import pytest

from decoding.drafts import propose_draft
from decoding.engine import Engine
from decoding.protocol import GenerationRequest
from inference.loading import BaseFingerprints, load_served_model
from resolver_core.prompt import encode_prompt
from resolver_core.settings import InferenceSettings
from tests.cpu_paths import DTYPES
from tests.llamacpp import needs_llamacpp

DECODERS = [*DTYPES, pytest.param("q8_0", id="llamacpp-q8_0", marks=needs_llamacpp)]

NEW_QUESTIONS = [
    "the deploy job cannot log in to the container registry anymore",
    "our nightly pipeline hangs at the integration stage",
    "Build failed due to missing dependency",
]


@pytest.fixture(scope="module", params=DECODERS)
def served(vm2, request):
    llamacpp = request.param == "q8_0"
    settings = InferenceSettings(
        _env_file=None,
        models_dir=vm2.models_dir,
        base_model_path=vm2.base_path,
        inference_max_new_tokens=24,
        inference_engine="llamacpp" if llamacpp else "torch",
        inference_dtype="auto" if llamacpp else request.param,
    )
    model = load_served_model(settings, vm2.version, BaseFingerprints())
    # The torch decoder batches exactly by construction; llama.cpp where this CPU's kernels allow (else one at a time).
    assert model.dtype == request.param and (model.batch_invariant or llamacpp)
    yield model
    model.engine.stop(drain=False)


def _request(served, issue: str, with_drafts: bool) -> GenerationRequest:
    drafts = [served.answering.answer_ids(s.resolution) for s in served.similar.search(issue, 3)] if with_drafts else []
    return GenerationRequest(prompt_ids=encode_prompt(served.tokenizer, issue), max_new_tokens=24, drafts=drafts)


def test_batched_drafted_answers_equal_plain_sequential_greedy(served, vm2):
    issues = [p["issue"] for p in vm2.pairs[:5]] + NEW_QUESTIONS
    futures = [served.engine.submit(_request(served, issue, with_drafts=True)) for issue in issues]
    fancy = [future.result(timeout=300).token_ids for future in futures]
    stats = served.engine.stats
    if served.engine.draft_tokens:
        assert stats.accepted_draft_tokens > 0, "drafts were on and never accepted"
    if served.engine.max_batch > 1:
        assert stats.rows > stats.steps, "batching was on and never used"
    served.engine.stop()
    engine = served.engine  # same decoder and shared-prefix cache; one request at a time, no drafts
    plain_engine = Engine(engine.decoder, engine.stop_ids, engine.prefix_ids, max_batch=1, queue_size=64).start()
    try:
        plain = [plain_engine.generate(_request(served, issue, with_drafts=False)).token_ids for issue in issues]
    finally:
        plain_engine.stop()
    assert fancy == plain
    assert served.tokenizer.decode(plain[0], skip_special_tokens=True).strip() == vm2.pairs[0]["resolution"]


def test_drafts_follow_the_longest_matching_tail():
    candidates = [[5, 6, 7, 8, 2], [9, 6, 7, 1, 2]]
    assert propose_draft([5], candidates, 3) == [6, 7, 8]  # answer start
    assert propose_draft([3, 9, 6], candidates, 8) == [7, 1, 2]  # two-token tail, second candidate
    assert propose_draft([3, 7], candidates, 8) == []  # a lone mid-text token proposes nothing
    assert propose_draft([5, 6], candidates, 0) == []
