"""One answer path: the answer a version is scored on (trainer/questions.py) is the answer VM2 serves for the same
question, byte for byte — generated, and the closest fix verbatim when it is longer than the token limit."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
import torch

from decoding.answer import Answer
from resolver_core import registry
from resolver_core.base_model import load_base_model, load_tokenizer
from resolver_core.cpu import dtype_for
from resolver_core.embeddings import embedded_embedder
from resolver_core.grounding import Grounding
from resolver_core.pairs_file import PAIRS_FILE_NAME, read_pairs
from resolver_core.retrieval import evidence_index
from tests.inference.conftest import MAX_NEW_TOKENS, Vm2
from tests.servers import RunningServer
from tests.vm2 import vm2_server
from trainer.answering import version_answerer
from trainer.questions import served_answer

CUT_AT = 6  # tokens: shorter than every known fix of the fixture
UNKNOWN = "The espresso machine on the third floor leaks water again"


@pytest.fixture(scope="module")
def short_verbatim_server(vm2: Vm2, tmp_path_factory) -> RunningServer:
    settings = {"INFERENCE_ANSWER_POLICY": "top_known_fix", "INFERENCE_MAX_NEW_TOKENS": str(CUT_AT)}
    with vm2_server(vm2, tmp_path_factory.mktemp("inference-short"), **settings) as running:
        yield running


@pytest.fixture(scope="module")
def fp32_server(vm2: Vm2, tmp_path_factory) -> RunningServer:
    """The fp32 path (what an AVX2-only CPU serves with), on any CPU."""
    with vm2_server(vm2, tmp_path_factory.mktemp("inference-fp32"), INFERENCE_DTYPE="float32") as running:
        yield running


def scored(vm2: Vm2, questions: list[str], policy: str, max_new_tokens: int, dtype: str = "auto") -> list[Answer]:
    """The trainer's served answers for the deployed version, under VM2's policy override and token limit."""
    from peft import PeftModel

    folder = vm2.models_dir / vm2.version
    manifest = registry.read_manifest(folder)
    tokenizer = load_tokenizer(vm2.base_path)
    model = PeftModel.from_pretrained(load_base_model(vm2.base_path, torch.float32), str(folder)).eval()
    index = evidence_index(read_pairs(folder / PAIRS_FILE_NAME), manifest, embedded_embedder())
    dtype = dtype_for(dtype, "INFERENCE_DTYPE")  # what VM2 serves in on this CPU
    with version_answerer(model, tokenizer, vm2.base_path, dtype, max_new_tokens) as answerer:
        answering = answerer.answering(index, manifest.grounding.context_pairs)
        serving = replace(answering, grounding=Grounding.of_version(manifest.grounding, policy=policy))
        asked = [answering.ask(question) for question in questions]
        generated = answerer.generate([answering.request(a, max_new_tokens) for a in asked])
        return [served_answer(serving, a, g, max_new_tokens) for a, g in zip(asked, generated, strict=True)]


def served(server: RunningServer, question: str) -> dict:
    response = httpx.post(f"{server.base_url}/resolve", json={"issue": question}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def assert_same(answer: Answer, body: dict) -> None:
    assert body["resolution"] == answer.text
    assert (body["known_fix"], body["based_on"], body["answer_source"]) == (
        answer.known_fix,
        answer.based_on,
        answer.source,
    )


def test_generated_answers_are_scored_as_vm2_serves_them(vm2: Vm2, server: RunningServer) -> None:
    questions = [f"{vm2.pairs[2]['issue']} (again today)", UNKNOWN]
    for answer, question in zip(scored(vm2, questions, "model", MAX_NEW_TOKENS), questions, strict=True):
        assert_same(answer, served(server, question))


def test_on_the_fp32_path_too(vm2: Vm2, fp32_server: RunningServer) -> None:
    questions = [f"{vm2.pairs[7]['issue']} (again today)", UNKNOWN]
    for answer, question in zip(scored(vm2, questions, "model", MAX_NEW_TOKENS, "float32"), questions, strict=True):
        assert_same(answer, served(fp32_server, question))


def test_a_verbatim_fix_longer_than_the_limit_is_scored_cut_as_vm2_cuts_it(
    vm2: Vm2, short_verbatim_server: RunningServer
) -> None:
    questions = [f"{vm2.pairs[5]['issue']} (again today)", UNKNOWN]
    answers = scored(vm2, questions, "top_known_fix", CUT_AT)
    for answer, question in zip(answers, questions, strict=True):
        body = served(short_verbatim_server, question)
        assert_same(answer, body)
        assert body["finish_reason"] == "length" and body["usage"]["completion_tokens"] == CUT_AT
    assert answers[0].source == "known_fix" and answers[0].text != vm2.pairs[5]["resolution"]
