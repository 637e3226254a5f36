"""The seed's /resolve contract, input validation and the operations endpoints, on a real server."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest

from tests.inference.conftest import MAX_NEW_TOKENS

SEED_ISSUE = "Build failed due to missing dependency"
SEED_CURL = (
    """curl -X POST -H "Content-Type: application/json" -d '{"issue":"Build failed due to missing dependency"}' """
    "http://localhost:5000/resolve"
)


def test_seed_curl_command_works_verbatim(server, vm2):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    port = server.base_url.rsplit(":", 1)[1]
    command = SEED_CURL.replace("localhost:5000", f"localhost:{port}")
    output = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, check=True).stdout
    body = json.loads(output)
    assert body["issue"] == SEED_ISSUE
    assert body["model_version"] == vm2.version
    assert body["resolution"].strip()
    assert body["finish_reason"] in {"stop", "length"}
    assert body["usage"]["completion_tokens"] <= MAX_NEW_TOKENS
    nearest = body["similar"][0]
    assert set(nearest) == {"id", "issue", "resolution", "score"}
    assert 0 < nearest["score"] <= 1
    assert isinstance(body["known_fix"], bool) and body["answer_source"] in {"model", "known_fix"}
    assert set(body["based_on"]) <= {pair["id"] for pair in body["similar"]}


def test_a_trained_issue_gets_its_known_fix_and_an_unrelated_question_a_suggestion(server, vm2):
    pair = vm2.pairs[0]
    body = httpx.post(f"{server.base_url}/resolve", json={"issue": pair["issue"]}, timeout=120).json()
    assert body["resolution"] == pair["resolution"]
    assert body["known_fix"] is True and body["based_on"] == [body["similar"][0]["id"]]
    assert body["similar"][0]["issue"] == pair["issue"]
    question = {"issue": "The espresso machine on the third floor leaks water again"}
    far = httpx.post(f"{server.base_url}/resolve", json=question, timeout=120).json()
    assert far["known_fix"] is False and far["based_on"] == [] and far["answer_source"] == "model"


def test_greedy_answers_repeat_and_reproduce_trained_resolutions(server, vm2):
    """The adapter is merged in: trained issues get their trained fixes, stopping at the end of the answer."""
    for pair in vm2.pairs[:3]:
        first = httpx.post(f"{server.base_url}/resolve", json={"issue": pair["issue"]}, timeout=120).json()
        again = httpx.post(f"{server.base_url}/resolve", json={"issue": pair["issue"]}, timeout=120).json()
        assert first["resolution"] == again["resolution"] == pair["resolution"]
        assert first["finish_reason"] == "stop"
        assert first["similar"][0]["issue"] == pair["issue"]


def test_max_new_tokens_bounds_the_answer(server):
    body = httpx.post(f"{server.base_url}/resolve", json={"issue": SEED_ISSUE, "max_new_tokens": 2}, timeout=60).json()
    assert body["usage"]["completion_tokens"] <= 2
    assert body["finish_reason"] in {"length", "stop"}


def test_sampling_with_a_seed_is_reproducible(server):
    request = {"issue": "Docker build cannot reach the apt mirror", "temperature": 0.9, "seed": 7, "max_new_tokens": 8}
    first = httpx.post(f"{server.base_url}/resolve", json=request, timeout=60).json()
    second = httpx.post(f"{server.base_url}/resolve", json=request, timeout=60).json()
    assert first["resolution"] == second["resolution"]


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "issue", 422),
        ({"issue": 5}, "issue", 422),
        ({"issue": "abc"}, "issue", 422),
        ({"issue": "x" * 3000}, "issue", 422),
        ({"issue": "!!!! ???? ...."}, "issue", 422),
        ({"issue": "build broke\x07 again"}, "issue", 422),
        ({"issue": SEED_ISSUE, "max_new_tokens": 10_000}, "max_new_tokens", 422),
        ({"issue": SEED_ISSUE, "max_new_tokens": 0}, "max_new_tokens", 422),
        ({"issue": SEED_ISSUE, "temperature": 5}, "temperature", 422),
        ([SEED_ISSUE], "body", 400),
    ],
)
def test_invalid_input_gets_an_error_naming_the_field(server, body, field, status):
    response = httpx.post(f"{server.base_url}/resolve", json=body, timeout=30)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_malformed_json_gets_400(server):
    response = httpx.post(
        f"{server.base_url}/resolve", content=b'{"issue": ', headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_operations_endpoints(server, vm2):
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.base_url}/readyz").json()["model_version"] == vm2.version
    version = httpx.get(f"{server.base_url}/version").json()
    assert version["model_version"] == vm2.version
    assert version["pairs"] == vm2.snapshot_size
    assert version["batch_invariant"] is True
    assert version["step_rows"] >= version["max_batch"] and version["cpu"]["cpu_model"]
    metrics = httpx.get(f"{server.base_url}/metrics").text
    assert "inference_generated_tokens_total" in metrics
    assert f'inference_model_info{{base="{vm2.base_path.name}"' in metrics
    assert httpx.get(f"{server.base_url}/docs").status_code == 200
    assert "/resolve" in httpx.get(f"{server.base_url}/openapi.json").json()["paths"]
