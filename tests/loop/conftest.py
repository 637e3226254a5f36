"""VM1 beside the shared VM2: a copy of the pair store the served version was trained from (so the pair ids in
VM2's answers are VM1's ids), and how to run VM1's commands against it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import REPO_ROOT, service_env
from tests.vm2 import EXPORT_KEY


@dataclass(frozen=True)
class Vm1:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def env(self, vm2_url: str, key: str = EXPORT_KEY, **extra: str) -> dict[str, str]:
        return {
            "DATA_DIR": str(self.data_dir),
            "VM2_URL": vm2_url,
            "VM2_FEEDBACK_KEY": key,
            "LOG_FORMAT": "text",
            **extra,
        }

    def collect(self, vm2_url: str, key: str = EXPORT_KEY) -> subprocess.CompletedProcess:
        """`make collect-feedback`, as the training team runs it on VM1."""
        return subprocess.run(
            [sys.executable, "-m", "submission", "collect-feedback"],
            cwd=REPO_ROOT,
            env=service_env(self.env(vm2_url, key)),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def report(self, vm2_url: str) -> dict:
        result = self.collect(vm2_url)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def vm1(trained_registry, tmp_path: Path) -> Vm1:
    shutil.copytree(trained_registry.data_dir, tmp_path / "vm1" / "data")
    return Vm1(tmp_path / "vm1")


def ask(base_url: str, issue: str) -> dict:
    response = httpx.post(f"{base_url}/resolve", json={"issue": issue}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def give_feedback(base_url: str, answer_id: str, verdict: str, **fields: str) -> None:
    body = {"answer_id": answer_id, "verdict": verdict, **fields}
    response = httpx.post(f"{base_url}/feedback", json=body, timeout=30)
    assert response.status_code == 201, response.text
