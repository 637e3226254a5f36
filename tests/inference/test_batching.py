"""Requests that arrive together are decoded as one batch, with exactly the answers they get one at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

ISSUES = [
    "Build failed due to missing dependency",
    "npm ci fails with ERESOLVE unable to resolve dependency tree",
    "Docker push denied",
    "Terraform plan fails: Error acquiring the state lock while another pipeline is applying the same workspace",
    "Jest tests time out after 5000 ms in CI only",
    "our nightly job hangs forever at the integration stage",
    "Helm upgrade fails: another operation is in progress",
    "kubectl apply fails: the server has asked for the client to provide credentials",
]


def _resolve(base_url: str, issue: str) -> dict:
    response = httpx.post(f"{base_url}/resolve", json={"issue": issue, "max_new_tokens": 24}, timeout=300)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("server_name", ["server", "avx2_fp32_server"], ids=["this-cpu-auto", "avx2-fp32"])
def test_eight_concurrent_requests_get_the_sequential_answers(server_name, request):
    server = request.getfixturevalue(server_name)
    version = httpx.get(f"{server.base_url}/version").json()
    assert version["batch_invariant"] is True, "the start-up exactness guard failed: batching was switched off"
    sequential = [_resolve(server.base_url, issue)["resolution"] for issue in ISSUES]
    before = _batch_rows_sum(server.base_url)
    with ThreadPoolExecutor(len(ISSUES)) as pool:
        concurrent = [r["resolution"] for r in pool.map(lambda issue: _resolve(server.base_url, issue), ISSUES)]
    assert concurrent == sequential
    steps, rows = _batch_rows_sum(server.base_url)[0] - before[0], _batch_rows_sum(server.base_url)[1] - before[1]
    assert rows / steps > 1.5, "the concurrent requests were not decoded together"


def _batch_rows_sum(base_url: str) -> tuple[float, float]:
    """(decode steps, rows decoded) from /metrics."""
    values = {}
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith(("inference_batch_rows_count", "inference_batch_rows_sum")):
            name, value = line.split()
            values[name] = float(value)
    return values["inference_batch_rows_count"], values["inference_batch_rows_sum"]
