"""The answer policy on a real server: the closest known fix verbatim, what that makes of known_fix, streaming."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.inference.conftest import Vm2
from tests.servers import RunningServer
from tests.vm2 import vm2_server


@pytest.fixture(scope="module")
def verbatim_server(vm2: Vm2, tmp_path_factory) -> RunningServer:
    with vm2_server(
        vm2, tmp_path_factory.mktemp("inference-verbatim"), INFERENCE_ANSWER_POLICY="top_known_fix"
    ) as running:
        yield running


def _resolve(server: RunningServer, issue: str, **extra) -> dict:
    return httpx.post(f"{server.base_url}/resolve", json={"issue": issue, **extra}, timeout=120).json()


def test_a_close_question_gets_the_closest_known_fix_verbatim_as_a_known_fix(verbatim_server, vm2):
    pair = vm2.pairs[5]
    question = f"{pair['issue']} (again today)"
    body = _resolve(verbatim_server, question)
    assert body["answer_source"] == "known_fix" and body["resolution"] == body["similar"][0]["resolution"]
    assert body["similar"][0]["issue"] == pair["issue"]
    assert body["known_fix"] is True and body["based_on"][0] == body["similar"][0]["id"]
    assert body["finish_reason"] == "stop" and body["usage"]["completion_tokens"] > 0
    short = _resolve(verbatim_server, question, max_new_tokens=3)
    assert short["usage"]["completion_tokens"] == 3 and short["finish_reason"] == "length"
    grounding = httpx.get(f"{verbatim_server.base_url}/version").json()["grounding"]
    assert grounding["answer_policy"] == grounding["far_policy"] == "top_known_fix"


def test_a_far_question_gets_the_closest_fix_as_a_suggestion_not_a_known_fix(verbatim_server):
    body = _resolve(verbatim_server, "The espresso machine on the third floor leaks water again")
    assert body["answer_source"] == "known_fix"
    assert body["known_fix"] is False and body["based_on"] == []


def test_streaming_sends_the_verbatim_fix_and_says_what_it_is(verbatim_server, vm2):
    client = openai.OpenAI(base_url=f"{verbatim_server.base_url}/v1", api_key="unused", max_retries=0)
    pair = vm2.pairs[6]
    messages = [{"role": "user", "content": pair["issue"]}]
    chunks = list(client.chat.completions.create(model=vm2.version, messages=messages, stream=True))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text.strip() == pair["resolution"]
    assert chunks[-1].model_extra["known_fix"] is True and chunks[-1].model_extra["answer_source"] == "known_fix"
