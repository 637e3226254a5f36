"""The client against real VM2 servers: `ask` and `explain` answer, and what VM2 refuses (a missing key, a log over
its limit) leaves the job's result alone with one line saying why."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.client.conftest import run_client
from tests.integrations.conftest import AnsweringVm2
from tests.vm2 import Vm2, vm2_server

KEY = secrets.token_urlsafe(24)
MAX_LOG_BYTES = 300_000


@pytest.fixture(scope="module")
def strict_vm2(vm2: Vm2, tmp_path_factory):
    """VM2 requiring a caller key, and taking logs of at most MAX_LOG_BYTES."""
    folder = tmp_path_factory.mktemp("strict-vm2")
    settings = {
        "DATA_DIR": str(folder / "data"),
        "RESOLVE_API_KEYS": f"ci:{KEY}",
        "INFERENCE_MAX_LOG_BYTES": str(MAX_LOG_BYTES),
        "INFERENCE_ANSWER_POLICY": "version",
    }
    with vm2_server(vm2, folder, **settings) as running:
        yield running


def test_ask_answers_a_known_failure_with_its_fix(answering_vm2: AnsweringVm2):
    env = {"CI_RESOLVER_URL": answering_vm2.server.base_url}
    result = run_client("ask", answering_vm2.known_issue, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["answer"]["known_fix"] is True and report["page"].endswith(report["answer"]["answer_id"])


def test_refusals_leave_the_job_alone_with_one_line_each(strict_vm2, answering_vm2: AnsweringVm2, tmp_path):
    env = {"CI_RESOLVER_URL": strict_vm2.base_url}
    no_key = run_client("explain", str(answering_vm2.known_log), env=env)
    assert no_key.returncode == 0 and no_key.stderr.decode().count("\n") == 1
    assert "VM2 answered 401" in no_key.stderr.decode()
    big = tmp_path / "big.log"
    big.write_bytes(answering_vm2.known_log.read_bytes() * 3)
    too_big = run_client("explain", str(big), env={**env, "CI_RESOLVER_API_KEY": KEY})
    assert too_big.returncode == 0 and "VM2 answered 413" in too_big.stderr.decode()
    keyed = run_client("explain", str(answering_vm2.known_log), env={**env, "CI_RESOLVER_API_KEY": KEY})
    assert keyed.returncode == 0 and b"known fix" in keyed.stdout and not keyed.stderr
