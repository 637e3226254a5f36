"""VM2 for tests: a trained version deployed (with its base) to a local folder, and one inference server over it
for the whole session (registered in tests/conftest.py, so every test folder shares the same server)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT, RunningServer, service_env, start_server

MAX_NEW_TOKENS = 32
EXPORT_KEY = secrets.token_urlsafe(24)  # VM1's key for GET /feedback/export on every test server
# A failure the shared version knows ("pytest fails with ModuleNotFoundError"), as pytest prints it in a job log.
PYTEST_FAILURE = (
    "ImportError while importing test module '/builds/acme/api/tests/test_health.py'.\n"
    "Traceback:\n"
    "/usr/local/lib/python3.11/importlib/__init__.py:126: in import_module\n"
    "    return _bootstrap._gcd_import(name[level:], package, level)\n"
    "tests/test_health.py:3: in <module>\n"
    "    from app.main import create_app\n"
    "E   ModuleNotFoundError: No module named 'app'"
)


@dataclass
class Vm2:
    models_dir: Path
    base_path: Path
    version: str
    pairs: list[dict[str, str]]  # the pairs the version was trained on: greedy answers reproduce them
    snapshot_size: int
    admin_key: str

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "MODELS_DIR": str(self.models_dir),
            "BASE_MODEL_PATH": str(self.base_path),
            "MODEL_VERSION": self.version,
            "INFERENCE_MAX_NEW_TOKENS": str(MAX_NEW_TOKENS),
            "INFERENCE_ADMIN_KEYS": f"ops:{self.admin_key}",
            "FEEDBACK_EXPORT_KEYS": f"vm1:{EXPORT_KEY}",
            "INFERENCE_ANSWER_POLICY": "model",  # these servers test generation; test_answer_policy the other
            "INFERENCE_ENGINE": "torch",  # these servers test the in-process engine; test_llamacpp_serving the other
            "LOG_FORMAT": "text",
            **extra,
        }


def run_deploy(models_dir: Path, version: str, target: Path, *args: str) -> subprocess.CompletedProcess:
    env = service_env({"MODELS_DIR": str(models_dir), "LOG_FORMAT": "text"})
    command = [sys.executable, "-m", "deploy", version, "--target", str(target), "--quiet", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def vm2(trained_registry, tmp_path_factory) -> Vm2:
    """`make deploy VERSION=<trained> DEPLOY_ARGS=--with-base` into a local folder, as VM2 would receive it."""
    target = tmp_path_factory.mktemp("vm2") / "models"
    result = run_deploy(Path(trained_registry.models_dir), trained_registry.version, target, "--with-base")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    base_id = json.loads((target / report["version"] / "manifest.json").read_text())
    base_id = (base_id.get("base_model") or base_id.get("base"))["id"]
    trained = [{"issue": p["issue"], "resolution": p["resolution"]} for p in trained_registry.trained_pairs]
    base = target / "base" / base_id
    return Vm2(target, base, report["version"], trained, len(trained_registry.pairs), secrets.token_urlsafe(24))


@contextmanager
def vm2_server(vm2: Vm2, folder: Path, **settings: str) -> Iterator[RunningServer]:
    """An inference server over the deployed version, `settings` on top of the shared ones; stopped afterwards."""
    running = start_server("inference", vm2.env(**settings), folder, timeout_s=240)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def server(vm2: Vm2, tmp_path_factory) -> Iterator[RunningServer]:
    """One server for the whole session: loading a model costs seconds on 2 cores."""
    with vm2_server(vm2, tmp_path_factory.mktemp("inference")) as running:
        yield running
