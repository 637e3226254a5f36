"""A request that cannot be served fails alone: the requests decoded beside it still get their answers."""

from __future__ import annotations

import pytest

from decoding.protocol import GenerationRequest, ServingEngine
from inference.loading import BaseFingerprints, load_served_model
from resolver_core.prompt import encode_prompt
from resolver_core.settings import InferenceSettings

ISSUES = ["Build failed due to missing dependency", "Docker push denied", "npm ci fails with ERESOLVE"]


@pytest.fixture(scope="module")
def served(vm2):
    settings = InferenceSettings(
        _env_file=None,
        models_dir=vm2.models_dir,
        base_model_path=vm2.base_path,
        inference_max_new_tokens=16,
        inference_engine="torch",
    )
    model = load_served_model(settings, vm2.version, BaseFingerprints())
    yield model
    model.engine.stop(drain=False)


def _request(served, issue: str, **options) -> GenerationRequest:
    return GenerationRequest(prompt_ids=encode_prompt(served.tokenizer, issue), max_new_tokens=16, **options)


def test_a_failing_request_beside_good_ones_fails_alone(served):
    alone = [served.engine.generate(_request(served, issue)).token_ids for issue in ISSUES]
    bad = _request(served, ISSUES[0], temperature=0.5, seed=2**70)  # torch's generator cannot take this seed
    futures = [served.engine.submit(_request(served, ISSUES[0])), served.engine.submit(bad)]
    futures += [served.engine.submit(_request(served, issue)) for issue in ISSUES[1:]]
    with pytest.raises(ValueError, match="Overflow"):
        futures[1].result(timeout=300)
    together = [futures[0].result(timeout=300).token_ids] + [f.result(timeout=300).token_ids for f in futures[2:]]
    assert together == alone


def test_a_tiny_temperature_samples_like_greedy_instead_of_nan(served):
    greedy = served.engine.generate(_request(served, ISSUES[1])).token_ids
    for temperature in (1e-40, 1e-6):
        tiny = served.engine.generate(_request(served, ISSUES[1], temperature=temperature, seed=1)).token_ids
        assert tiny == greedy


def test_the_in_process_engine_implements_the_serving_interface(served) -> None:
    assert isinstance(served.engine, ServingEngine)  # decoding/protocol.py: what the service may call
    described = served.engine.describe()
    assert described["engine"] == "torch" and described["max_batch"] == served.engine.max_batch
