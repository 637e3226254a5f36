"""A damaged version or a different base is refused, at start and on hot reload; the old version keeps serving."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.inference.conftest import Vm2, add_version_copy, corrupt
from tests.servers import REPO_ROOT, service_env

CORRUPTED = "20000101T000000Z"
GOOD_COPY = "20000101T000001Z"


@pytest.fixture(scope="module")
def corrupted_version(vm2: Vm2) -> str:
    corrupt(add_version_copy(vm2, CORRUPTED) / "adapter_model.safetensors")
    return CORRUPTED


def start_and_expect_refusal(env: dict[str, str]) -> str:
    process = subprocess.run(
        [sys.executable, "-m", "inference", "serve", "--host", "127.0.0.1", "--port", "1"],
        cwd=REPO_ROOT,
        env=service_env(env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert process.returncode == 2, process.stderr[-2000:]
    return process.stderr


def test_corrupted_adapter_is_refused_at_start_naming_the_file(vm2, corrupted_version):
    stderr = start_and_expect_refusal(vm2.env(MODEL_VERSION=corrupted_version))
    assert "refusing to serve" in stderr
    assert "adapter_model.safetensors: sha256 mismatch" in stderr


def test_a_different_base_model_is_refused_at_start(vm2, tmp_path):
    other_base = tmp_path / "other-base"
    other_base.mkdir()
    for path in vm2.base_path.iterdir():
        (other_base / path.name).symlink_to(path)
    config = json.loads((vm2.base_path / "config.json").read_text())
    (other_base / "config.json").unlink()
    (other_base / "config.json").write_text(json.dumps({**config, "rms_norm_eps": 1e-6}))
    stderr = start_and_expect_refusal(vm2.env(BASE_MODEL_PATH=str(other_base)))
    assert "config.json: sha256" in stderr
    assert "BASE_MODEL_PATH" in stderr


def test_unknown_version_is_refused_at_start(vm2):
    stderr = start_and_expect_refusal(vm2.env(MODEL_VERSION="20990101T000000Z"))
    assert "unknown version" in stderr


def _reload(server, vm2: Vm2, version: str) -> dict:
    headers = {"X-API-Key": vm2.admin_key}
    response = httpx.post(f"{server.base_url}/admin/reload", json={"version": version}, headers=headers)
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.base_url}/admin/reload", headers=headers).json()
        if status["state"] != "loading":
            return status
        time.sleep(0.3)
    raise AssertionError("reload did not finish")


def _served_version(server) -> str:
    body = httpx.post(f"{server.base_url}/resolve", json={"issue": "Docker push denied"}, timeout=120).json()
    return body["model_version"]


def test_reload_of_a_corrupted_version_fails_and_the_old_one_keeps_serving(server, vm2, corrupted_version):
    status = _reload(server, vm2, corrupted_version)
    assert status["state"] == "failed"
    assert "adapter_model.safetensors" in status["error"]
    assert status["serving"] == vm2.version
    assert _served_version(server) == vm2.version


def test_reload_swaps_versions_and_rolls_back(server, vm2):
    add_version_copy(vm2, GOOD_COPY)
    try:
        assert _reload(server, vm2, GOOD_COPY)["state"] == "succeeded"
        assert _served_version(server) == GOOD_COPY
        assert httpx.get(f"{server.base_url}/version").json()["model_version"] == GOOD_COPY
    finally:
        status = _reload(server, vm2, vm2.version)  # rolling back = reloading the previous version
    assert status["state"] == "succeeded"
    assert _served_version(server) == vm2.version


def test_reload_needs_an_admin_key(server, vm2):
    response = httpx.post(f"{server.base_url}/admin/reload", json={"version": vm2.version})
    assert response.status_code == 401
    assert response.json()["field"] == "X-API-Key"


def test_inference_check_verifies_without_loading(vm2, corrupted_version):
    env = service_env(vm2.env())
    ok = subprocess.run(
        [sys.executable, "-m", "inference", "check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["verified"] is True
    bad = subprocess.run(
        [sys.executable, "-m", "inference", "check", corrupted_version],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "adapter_model.safetensors" in bad.stderr


def test_corrupted_copy_does_not_touch_the_deployed_version(vm2, corrupted_version):
    assert Path(vm2.models_dir / vm2.version / "adapter_model.safetensors").stat().st_mode & 0o222 == 0
