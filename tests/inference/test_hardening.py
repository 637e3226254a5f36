"""Inputs a fuzz of the spec found harmful: each gets its documented 4xx before any work starts, a bad request
beside good ones harms none of them, and the spec declares what the server does."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fuzz import assert_errors_use_the_error_body
from tests.inference.conftest import MAX_NEW_TOKENS

ISSUE = "Build failed due to missing dependency"
HUGE_SEED = 2**70


def _post(server, path: str, body: object) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=body, timeout=120)


def _chat(issue: str = ISSUE, **options) -> dict:
    return {"model": "ci-resolver", "messages": [{"role": "user", "content": issue}], **options}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/resolve", {"issue": ISSUE, "temperature": 0.5, "seed": HUGE_SEED}, "seed"),
        ("/resolve", {"issue": ISSUE, "seed": -1}, "seed"),
        ("/resolve", {"issue": ISSUE, "seed": False}, "seed"),
        ("/resolve", {"issue": ISSUE, "temperature": True}, "temperature"),
        ("/resolve", {"issue": ISSUE, "max_new_tokens": True}, "max_new_tokens"),
        ("/v1/chat/completions", _chat(temperature=0.5, seed=HUGE_SEED), "seed"),
        ("/v1/chat/completions", _chat(stream="yes"), "stream"),
        ("/v1/chat/completions", _chat(max_tokens=MAX_NEW_TOKENS + 1), "max_tokens"),
        ("/v1/chat/completions", _chat(max_completion_tokens=MAX_NEW_TOKENS + 1), "max_completion_tokens"),
    ],
)
def test_out_of_range_and_wrongly_typed_values_get_422_naming_the_field(server, path, body, field):
    response = _post(server, path, body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_a_stream_is_validated_before_its_first_byte(server):
    response = _post(server, "/v1/chat/completions", _chat(stream=True, max_tokens=MAX_NEW_TOKENS + 68))
    assert response.status_code == 422 and response.headers["content-type"] == "application/json"
    assert response.json()["field"] == "max_tokens"


def test_a_bad_request_beside_good_ones_harms_none_of_them(server, vm2):
    """Good questions, a tiny temperature (once NaN for the whole queue), a seed torch cannot take and a stream
    over the token limit, all at once: the good ones get exactly their sequential answers."""
    issues = [pair["issue"] for pair in vm2.pairs[:3]]
    sequential = [_post(server, "/resolve", {"issue": issue}).json()["resolution"] for issue in issues]
    bad = [
        ("/resolve", {"issue": issues[0], "temperature": 1e-40}),
        ("/resolve", {"issue": issues[1], "temperature": 0.5, "seed": HUGE_SEED}),
        ("/v1/chat/completions", _chat(issues[2], stream=True, max_tokens=100)),
    ]
    requests = [("/resolve", {"issue": issue}) for issue in issues] + bad
    with ThreadPoolExecutor(len(requests)) as pool:
        responses = list(pool.map(lambda request: _post(server, *request), requests))
    assert [r.json()["resolution"] for r in responses[:3]] == sequential
    tiny_temperature, huge_seed, long_stream = responses[3:]
    assert tiny_temperature.status_code == 200 and tiny_temperature.json()["resolution"] == sequential[0]  # greedy
    assert (huge_seed.status_code, long_stream.status_code) == (422, 422)


def test_a_chunked_body_over_the_limit_gets_413(server):
    def chunks():  # no Content-Length: sent chunked
        yield b'{"issue": "'
        for _ in range(100):
            yield b"Build failed " * 100
        yield b'"}'

    headers = {"Content-Type": "application/json"}
    response = httpx.post(f"{server.base_url}/resolve", content=chunks(), headers=headers, timeout=60)
    assert response.status_code == 413 and response.json()["field"] == "body"


def test_a_wrong_method_gets_405_with_allow(server):
    response = httpx.get(f"{server.base_url}/resolve", timeout=30)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_the_spec_declares_every_error_the_stream_and_the_limits(server):
    spec = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    assert_errors_use_the_error_body(spec)
    resolve = spec["paths"]["/resolve"]["post"]
    assert set(resolve["responses"]) == {"200", "400", "401", "413", "422", "503", "504"}
    assert resolve["security"][0] == {}  # no RESOLVE_API_KEYS on this server: no key needed
    chat = spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert set(chat) == {"application/json", "text/event-stream"}
    schemas = spec["components"]["schemas"]
    request = schemas["ResolveRequest"]["properties"]
    assert (request["issue"]["minLength"], request["issue"]["maxLength"]) == (5, 2000)
    assert request["max_new_tokens"]["anyOf"][0]["maximum"] == MAX_NEW_TOKENS
    assert request["seed"]["anyOf"][0]["maximum"] == 2**63 - 1
    assert schemas["ChatCompletionRequest"]["properties"]["max_tokens"]["anyOf"][0]["maximum"] == MAX_NEW_TOKENS


def test_a_client_leaving_mid_stream_frees_its_slot_and_harms_nobody(server, vm2):
    issue = vm2.pairs[0]["issue"]
    expected = _post(server, "/resolve", {"issue": issue}).json()["resolution"]
    body = _chat(issue, stream=True, max_tokens=MAX_NEW_TOKENS, temperature=1.0, seed=1)
    for _ in range(3):
        with httpx.stream("POST", f"{server.base_url}/v1/chat/completions", json=body, timeout=60) as response:
            assert response.status_code == 200
            next(response.iter_lines())  # the first event, then hang up
    assert _post(server, "/resolve", {"issue": issue}).json()["resolution"] == expected
    assert "Traceback" not in server.log()
