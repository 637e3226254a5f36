"""The openai Python client, unchanged, against /v1 (plain and streaming)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai import OpenAI

from inference.openai_protocol import ChatCompletion, ChatCompletionChunk


@pytest.fixture(scope="module")
def client(server) -> OpenAI:
    return OpenAI(base_url=f"{server.base_url}/v1", api_key="not-needed", timeout=120, max_retries=0)


def test_models_lists_the_served_version(client, vm2):
    assert [model.id for model in client.models.list().data] == [vm2.version]


def _resolve(server, issue: str) -> str:
    return httpx.post(f"{server.base_url}/resolve", json={"issue": issue}, timeout=120).json()["resolution"]


def test_chat_completion_answers_like_resolve(client, server, vm2):
    pair = vm2.pairs[1]
    completion = client.chat.completions.create(
        model=vm2.version, messages=[{"role": "user", "content": pair["issue"]}], max_tokens=32
    )
    assert completion.choices[0].message.content == _resolve(server, pair["issue"])
    assert completion.choices[0].finish_reason in {"stop", "length"}
    assert completion.model == vm2.version
    assert completion.usage.completion_tokens > 0
    extra = completion.model_extra  # the grounding fields /resolve has, beside OpenAI's
    assert extra["known_fix"] is True and extra["based_on"] and extra["answer_source"] in {"model", "known_fix"}


def test_streaming_chat_completion_yields_the_same_text(client, server, vm2):
    pair = vm2.pairs[2]
    messages = [{"role": "user", "content": pair["issue"]}]
    stream = client.chat.completions.create(model=vm2.version, messages=messages, max_tokens=32, stream=True)
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert len(chunks) > 3
    assert text.strip() == _resolve(server, pair["issue"])
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    assert chunks[-1].model_extra["known_fix"] is True  # the last chunk says what the answer was


def test_every_streamed_event_is_a_typed_chunk_and_only_the_last_carries_the_grounding(server, vm2):
    body = {"model": vm2.version, "messages": [{"role": "user", "content": vm2.pairs[0]["issue"]}], "stream": True}
    events = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=120).text.split("\n\n")
    data = [event.removeprefix("data: ") for event in events if event.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
        assert "finish_reason" in chunk["choices"][0]
    assert all("known_fix" not in chunk and chunk["choices"][0]["finish_reason"] is None for chunk in chunks[:-1])
    assert chunks[-1]["known_fix"] is True and chunks[-1]["answer_id"].startswith("ans_")
    plain = httpx.post(f"{server.base_url}/v1/chat/completions", json={**body, "stream": False}, timeout=120).json()
    assert ChatCompletion.model_validate(plain).choices[0].message.content


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "build failed again"}])


def test_chat_without_a_user_message_is_422(client, vm2):
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model=vm2.version, messages=[{"role": "system", "content": "be brief"}])
