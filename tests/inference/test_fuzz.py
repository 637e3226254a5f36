"""The inference API under a bounded property-based fuzz of its own spec: documented answers only, and the
server answers exactly as before when it is over."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import new_key
from tests.fuzz import fuzz, generated_cases
from tests.vm2 import vm2_server

KEY = new_key()
QUESTION = {"issue": "Build failed due to missing dependency"}


@pytest.fixture(scope="module")
def keyed_server(vm2, tmp_path_factory):
    """Caller keys on (so the fuzz checks auth is enforced) and short answers (so it spends its time on inputs)."""
    settings = {"RESOLVE_API_KEYS": f"devs:{KEY}", "INFERENCE_MAX_NEW_TOKENS": "4", "INFERENCE_REQUEST_TIMEOUT_S": "30"}
    with vm2_server(vm2, tmp_path_factory.mktemp("fuzzed"), **settings) as running:
        yield running


def test_fuzzed_requests_get_documented_answers_and_leave_the_server_as_it_was(keyed_server, vm2, tmp_path):
    headers = {"X-API-Key": vm2.admin_key}  # admin keys may call every route
    before = httpx.post(f"{keyed_server.base_url}/resolve", json=QUESTION, headers=headers, timeout=60).json()
    # Held fixed so the fuzz reaches generation (max_tokens, temperature, seed, stream) instead of the 404/422 a
    # random model name or message list gets.
    question = [{"role": "user", "content": QUESTION["issue"]}]
    chat = {"POST /v1/chat/completions": {"body.model": "ci-resolver", "body.messages": question}}
    report = fuzz(keyed_server.base_url, vm2.admin_key, max_examples=40, seed=1, workdir=tmp_path, fixed=chat)
    assert generated_cases(report) >= 200, report[-3000:]
    after = httpx.post(f"{keyed_server.base_url}/resolve", json=QUESTION, headers=headers, timeout=60).json()
    assert after["resolution"] == before["resolution"] and after["model_version"] == before["model_version"]
    assert "Traceback" not in keyed_server.log()
