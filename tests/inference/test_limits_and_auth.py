"""Optional API keys, the bounded queue (503) and the request timeout (504), on a server configured tightly."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import new_key
from tests.vm2 import vm2_server

KEY = new_key()


@pytest.fixture(scope="module")
def strict_server(vm2, tmp_path_factory):
    settings = {
        "RESOLVE_API_KEYS": f"devs:{KEY}",
        "INFERENCE_MAX_BATCH": "1",
        "INFERENCE_QUEUE_SIZE": "1",
        "INFERENCE_REQUEST_TIMEOUT_S": "1.0",
        "INFERENCE_MAX_NEW_TOKENS": "96",
    }
    with vm2_server(vm2, tmp_path_factory.mktemp("strict"), **settings) as running:
        yield running


def _resolve(server, headers: dict[str, str], **body) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/resolve", json={"issue": "Docker push denied", **body}, headers=headers, timeout=60
    )


def test_without_a_key_resolve_is_401(strict_server):
    response = _resolve(strict_server, {}, max_new_tokens=1)
    assert response.status_code == 401
    assert response.json()["field"] == "X-API-Key"
    assert _resolve(strict_server, {"X-API-Key": "wrong-" + KEY}, max_new_tokens=1).status_code == 401


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_a_valid_key_in_either_header_is_accepted(strict_server, header):
    value = KEY if header == "X-API-Key" else f"Bearer {KEY}"
    assert _resolve(strict_server, {header: value}, max_new_tokens=1).status_code == 200


def test_health_needs_no_key(strict_server):
    assert httpx.get(f"{strict_server.base_url}/healthz").status_code == 200


def test_a_full_queue_gets_503_and_a_slow_request_504(strict_server):
    """One slot, one queue place, 1 s budget: a burst of long sampled answers overflows and times out."""
    headers = {"X-API-Key": KEY}
    with ThreadPoolExecutor(6) as pool:
        responses = list(
            pool.map(lambda _: _resolve(strict_server, headers, max_new_tokens=96, temperature=2.0), range(6))
        )
    statuses = sorted(r.status_code for r in responses)
    assert 503 in statuses, statuses
    assert 504 in statuses, statuses
    for response in responses:  # a sampled answer may stop within the second: that one is a 200
        assert response.status_code == 200 or response.json()["error"]
    assert _resolve(strict_server, headers, max_new_tokens=1).status_code == 200  # and it recovers


def test_a_stream_that_times_out_ends_with_an_error_event_then_done(strict_server):
    """The status line is already sent: the 504 travels as OpenAI's error object in the stream, then [DONE]."""
    headers = {"X-API-Key": KEY}
    body = {
        "model": "ci-resolver",
        "messages": [{"role": "user", "content": "Docker push denied"}],
        "max_tokens": 96,
        "temperature": 2.0,
        "seed": 7,
        "stream": True,
    }
    with ThreadPoolExecutor(1) as pool:  # a long sampled answer holds the only slot for its whole second
        ahead = pool.submit(_resolve, strict_server, headers, max_new_tokens=96, temperature=2.0, seed=3)
        time.sleep(0.3)
        url = f"{strict_server.base_url}/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
            assert response.status_code == 200
            events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
        ahead.result()
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["type"] == "timeout" and error["code"] == 504 and "INFERENCE_REQUEST_TIMEOUT_S" in error["message"]
