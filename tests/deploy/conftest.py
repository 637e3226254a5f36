"""A small real registry to deploy (a tiny base folder + one published version) and an sshd on 127.0.0.1."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from resolver_core import base_model, registry
from resolver_core.manifest import BaseFingerprint, Manifest
from resolver_core.pairs_file import write_pairs
from tests.servers import REPO_ROOT, free_port, service_env

BASE_ID = "tiny-base"


@dataclass
class Source:
    models_dir: Path
    base_path: Path
    version: str


def make_registry(root: Path) -> Source:
    """Deploy moves bytes and checks hashes: a small base and adapter exercise it as a 500 MB one would."""
    models_dir, base = root / "models", root / "models" / "base" / BASE_ID
    base.mkdir(parents=True)
    (base / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 8}))
    (base / "model.safetensors").write_bytes(os.urandom(3 << 20))
    (base / "tokenizer.json").write_text("{}")
    version = registry.new_version_id(models_dir)
    staging = registry.staging_dir(models_dir, version)
    staging.mkdir()
    (staging / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": BASE_ID, "r": 8}))
    (staging / "adapter_model.safetensors").write_bytes(os.urandom(1 << 20))
    write_pairs(staging / "issues_resolutions.json", [{"issue": "Docker push denied", "resolution": "Log in first."}])
    fingerprint = BaseFingerprint(**base_model.fingerprint(base))
    registry.write_manifest(staging, Manifest(version=version, base_model=fingerprint))
    registry.publish_version(models_dir, version)
    registry.set_alias(models_dir, "latest", version, "test")
    return Source(models_dir, base, version)


@pytest.fixture
def source(tmp_path) -> Source:
    return make_registry(tmp_path / "vm1")


def run_deploy(source: Source, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = service_env(
        {"MODELS_DIR": str(source.models_dir), "BASE_MODEL_PATH": str(source.base_path), "LOG_FORMAT": "text"}
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "deploy", *args, "--quiet"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@dataclass
class Sshd:
    port: int
    user: str
    options: str


def require_system_tools(*tools: str) -> None:
    """What `make test` installs first (scripts/system-tools.sh); run directly without it, a clear skip."""
    script = REPO_ROOT / "scripts" / "system-tools.sh"
    result = subprocess.run(["bash", str(script), *tools], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.skip(result.stderr.strip() or f"{', '.join(tools)} missing")


@pytest.fixture(autouse=True, scope="session")
def rsync_installed() -> None:
    require_system_tools("rsync")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Sshd:
    """A real sshd on 127.0.0.1 with generated host and user keys; stopped by its PID at the end."""
    require_system_tools("ssh", "ssh-keygen", "sshd")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege-separation directory sshd insists on
    sshd_path = shutil.which("sshd") or "/usr/sbin/sshd"
    with open(folder / "sshd.log", "wb") as log:
        process = subprocess.Popen([sshd_path, "-D", "-e", "-f", str(config)], stderr=log)
    _wait_for_port(port, process, folder / "sshd.log")
    options = (
        f"-p {port} -i {folder / 'user_key'} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o LogLevel=ERROR"
    )
    yield Sshd(port, getpass.getuser(), options)
    process.terminate()
    process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("sshd did not start")
