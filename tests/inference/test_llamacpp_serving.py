"""VM2 serving the shared version with llama.cpp (INFERENCE_ENGINE=llamacpp) over its deployed, verified GGUF: the
answers the version was scored on are the ones it serves, streaming works, and the engine in use is reported."""

from __future__ import annotations

import json

import httpx
import pytest

from decoding.gguf import GGUF_FILE
from inference.loading import llamacpp_serves
from resolver_core import registry
from tests.llamacpp import needs_llamacpp
from tests.servers import RunningServer
from tests.vm2 import Vm2, vm2_server
from trainer.answering import MAX_NEW_TOKENS as SCORED_TOKENS

pytestmark = needs_llamacpp


@pytest.fixture(scope="module")
def llamacpp_server(vm2: Vm2, tmp_path_factory) -> RunningServer:
    # The trainer's token limit: the scored answers are compared with the served ones word for word.
    settings = {"INFERENCE_ENGINE": "llamacpp", "INFERENCE_MAX_NEW_TOKENS": str(SCORED_TOKENS)}
    with vm2_server(vm2, tmp_path_factory.mktemp("inference-llamacpp"), **settings) as running:
        yield running


def test_the_deployed_gguf_is_verified_and_served(vm2: Vm2, llamacpp_server: RunningServer) -> None:
    manifest = registry.read_manifest(vm2.models_dir / vm2.version)
    assert GGUF_FILE in manifest.files and manifest.gguf.file == GGUF_FILE  # deploy copied it, the load checked it
    described = httpx.get(f"{llamacpp_server.base_url}/version", timeout=30).json()
    assert (described["engine"], described["dtype"]) == ("llama.cpp", "q8_0") and described["max_batch"] in (1, 8)
    assert described["gguf"] == GGUF_FILE and described["llama_cpp_python"]


def test_the_answers_the_version_was_scored_on_are_served(vm2: Vm2, llamacpp_server: RunningServer) -> None:
    reworded = registry.read_manifest(vm2.models_dir / vm2.version).metrics.reworded
    assert reworded.answered_dtype == "q8_0"
    for sample in reworded.samples:
        body = {"issue": sample["query"]}
        response = httpx.post(f"{llamacpp_server.base_url}/resolve", json=body, timeout=120)
        assert response.status_code == 200, response.text
        assert response.json()["resolution"] == sample["answer"]


def test_a_trained_failure_gets_its_fix_streamed(vm2: Vm2, llamacpp_server: RunningServer) -> None:
    pair = vm2.pairs[0]
    body = {"model": vm2.version, "messages": [{"role": "user", "content": pair["issue"]}], "stream": True}
    url = f"{llamacpp_server.base_url}/v1/chat/completions"
    events = httpx.post(url, json=body, timeout=120).text.split("\n\n")
    chunks = [json.loads(e.removeprefix("data: ")) for e in events if e.startswith("data: {")]
    streamed = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert len(chunks) > 3 and streamed.strip() == pair["resolution"]
    assert chunks[-1]["known_fix"] is True


def test_a_version_without_a_gguf_is_served_by_torch_with_a_warning(vm2: Vm2, caplog) -> None:
    folder = vm2.models_dir / vm2.version
    manifest = registry.read_manifest(folder)
    assert llamacpp_serves("llamacpp", folder, manifest, vm2.version)
    assert not llamacpp_serves("torch", folder, manifest, vm2.version)
    without = manifest.model_copy(update={"gguf": None})
    with caplog.at_level("WARNING"):
        assert not llamacpp_serves("llamacpp", folder, without, vm2.version)
    assert f"has no {GGUF_FILE}" in caplog.text and "torch engine serves" in caplog.text
