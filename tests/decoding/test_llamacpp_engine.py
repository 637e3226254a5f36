"""The engine over llama.cpp decoding the shared version's GGUF, for real: the ServingEngine contract (streaming,
queue, deadlines, cancel, stop, a failing request failing alone), answers that depend neither on what was decoded
before nor on what is decoded beside them (batched where this CPU's kernels allow it exactly, else one at a time),
and the same greedy answers as the torch engine at F16."""

from __future__ import annotations

import time
from concurrent.futures import wait
from pathlib import Path

import pytest
import torch

from decoding.build import EngineOptions, build_engine, build_llamacpp_engine, merged_model
from decoding.engine import common_prefix
from decoding.gguf import GGUF_FILE, export_version_gguf
from decoding.protocol import EngineStoppedError, GenerationRequest, QueueFullError, RequestTimeoutError
from resolver_core import registry
from resolver_core.base_model import load_tokenizer
from resolver_core.prompt import encode_prompt
from tests.llamacpp import needs_llamacpp

pytestmark = needs_llamacpp

UNKNOWN = ["The espresso machine on the third floor leaks water again", "Terraform plan shows drift on every run"]


def options(queue_size: int = 8, max_batch: int = 4, draft_tokens: int = 4) -> EngineOptions:
    return EngineOptions(torch.float32, max_batch, max_positions=512, draft_tokens=draft_tokens, queue_size=queue_size)


@pytest.fixture(scope="module")
def tokenizer(trained_registry):
    return load_tokenizer(trained_registry.base_model_path)


@pytest.fixture(scope="module")
def version_folder(trained_registry) -> Path:
    folder = trained_registry.models_dir / trained_registry.version
    assert registry.read_manifest(folder).gguf is not None, "the shared version was trained without a GGUF"
    return folder


@pytest.fixture(scope="module")
def engine(version_folder, tokenizer):
    running, _ = build_llamacpp_engine(version_folder / GGUF_FILE, tokenizer, options(), threads=2)
    yield running
    running.stop(drain=False)


def ask(tokenizer, question: str, **fields) -> GenerationRequest:
    return GenerationRequest(prompt_ids=encode_prompt(tokenizer, question), **{"max_new_tokens": 48, **fields})


def text(tokenizer, token_ids: list[int]) -> str:
    return tokenizer.decode(token_ids, skip_special_tokens=True).strip()


def test_a_trained_resolution_is_reproduced_streamed_and_stopped(engine, tokenizer, trained_registry) -> None:
    pair = trained_registry.trained_pairs[0]
    streamed: list[int] = []
    result = engine.generate(ask(tokenizer, pair["issue"], max_new_tokens=96, on_token=streamed.append))
    assert result.finish_reason == "stop" and streamed == result.token_ids
    assert text(tokenizer, result.token_ids) == pair["resolution"]
    assert engine.describe()["engine"] == "llama.cpp" and engine.describe()["gguf"] == GGUF_FILE


def test_answers_decoded_together_are_the_answers_decoded_alone(engine, tokenizer, trained_registry) -> None:
    questions = [p["issue"] for p in trained_registry.trained_pairs[:3]] + UNKNOWN
    alone = [engine.generate(ask(tokenizer, q)).token_ids for q in questions]
    futures = [engine.submit(ask(tokenizer, q)) for q in questions]
    assert [future.result(timeout=300).token_ids for future in futures] == alone


def test_an_answer_does_not_depend_on_what_was_decoded_before(engine, tokenizer, trained_registry) -> None:
    first = engine.generate(ask(tokenizer, UNKNOWN[0])).token_ids
    engine.generate(ask(tokenizer, trained_registry.trained_pairs[1]["issue"]))
    engine.generate(GenerationRequest(prompt_ids=[1, 2, 3, 4], max_new_tokens=4))  # no shared prefix: cache reset
    assert engine.generate(ask(tokenizer, UNKNOWN[0])).token_ids == first


def test_sampling_follows_the_request_seed(engine, tokenizer) -> None:
    sampled = [engine.generate(ask(tokenizer, UNKNOWN[1], temperature=1.0, seed=seed)).token_ids for seed in (7, 7)]
    assert sampled[0] == sampled[1]


def test_deadlines_cancel_and_too_long_prompts(engine, tokenizer) -> None:
    late = engine.submit(ask(tokenizer, UNKNOWN[0], deadline=time.monotonic() - 1))
    with pytest.raises(RequestTimeoutError):
        late.result(timeout=60)
    cancelled = ask(tokenizer, UNKNOWN[0])
    cancelled.cancelled = True
    future = engine.submit(cancelled)
    assert wait([future], timeout=60).done == {future} and future.cancelled()
    with pytest.raises(ValueError, match="the limit is"):
        engine.submit(GenerationRequest(prompt_ids=[5] * 600, max_new_tokens=4))


def test_a_failing_request_fails_alone(engine, tokenizer) -> None:
    broken = engine.submit(GenerationRequest(prompt_ids=[10**9, 10**9 + 1], max_new_tokens=4))  # no such tokens
    with pytest.raises(Exception):  # noqa: B017 - llama.cpp's own error, whatever it is, reaches this request only
        broken.result(timeout=60)
    assert engine.generate(ask(tokenizer, UNKNOWN[1], max_new_tokens=4)).finish_reason in {"stop", "length"}


def test_a_full_queue_refuses_and_stop_fails_what_waits(version_folder, tokenizer) -> None:
    small, _ = build_llamacpp_engine(version_folder / GGUF_FILE, tokenizer, options(1, 1, 0), threads=2)
    futures, refused = [], 0
    for _ in range(6):
        try:
            futures.append(small.submit(ask(tokenizer, UNKNOWN[0], max_new_tokens=96)))
        except QueueFullError:
            refused += 1
    assert refused >= 3 and small.queue_depth <= 1
    small.stop(drain=False)
    errors = [future.exception(timeout=120) for future in futures]
    assert any(isinstance(error, EngineStoppedError) for error in errors)
    with pytest.raises(EngineStoppedError):
        small.submit(ask(tokenizer, UNKNOWN[0]))


def test_at_f16_greedy_answers_match_the_torch_engine(trained_registry, tokenizer, tmp_path, capsys) -> None:
    """The same version, two engines, F16 against fp32 weights: trained answers identical, and the token
    agreement on questions the version never saw reported."""
    folder = trained_registry.models_dir / trained_registry.version
    f16 = export_version_gguf(trained_registry.base_model_path, folder, tmp_path / "model.f16.gguf", "f16")
    ours, _ = build_llamacpp_engine(f16, tokenizer, options(), threads=2)
    merged = merged_model(trained_registry.base_model_path, folder)
    theirs, _ = build_engine(merged, tokenizer, options())
    questions = [p["issue"] for p in trained_registry.trained_pairs[:4]] + UNKNOWN
    try:
        answers = [(ours.generate(ask(tokenizer, q)), theirs.generate(ask(tokenizer, q))) for q in questions]
    finally:
        ours.stop(drain=False)
        theirs.stop(drain=False)
    assert [a.token_ids for a, _ in answers[:4]] == [b.token_ids for _, b in answers[:4]]
    same = sum(common_prefix(a.token_ids, b.token_ids) for a, b in answers)
    agreement = same / sum(max(len(a.token_ids), len(b.token_ids)) for a, b in answers)
    with capsys.disabled():
        print(f"\nllama.cpp F16 vs torch fp32 greedy token agreement: {agreement:.3f} over {len(answers)} answers")
    assert agreement >= 0.8
