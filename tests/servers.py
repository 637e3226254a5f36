"""Start the project's real servers as subprocesses on loopback for tests (and stop them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment for a service: the repo on PYTHONPATH, no stray project settings from the caller."""
    env = {k: v for k, v in os.environ.items() if k not in {"SUBMISSION_API_KEYS", "MODEL_VERSION", "ENV_FILE"}}
    env.update({"PYTHONPATH": str(REPO_ROOT), "LOG_FORMAT": "json", "OMP_WAIT_POLICY": "PASSIVE"})
    env.update(extra)
    return env


@dataclass
class RunningServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9: no shutdown handlers run."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(
    module: str,
    env: dict[str, str],
    workdir: Path,
    port: int | None = None,
    ready_path: str = "/healthz",
    timeout_s: float = 120.0,
    extra_args: tuple[str, ...] = (),
) -> RunningServer:
    """Run `python -m <module> serve --host 127.0.0.1 --port N` in `workdir` and wait until `ready_path` is 200."""
    port = port or free_port()
    log_path = workdir / f"{module}-{port}.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            cwd=workdir,
            env=service_env(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{module} exited with {process.returncode}:\n{server.log()[-4000:]}")
        try:
            if httpx.get(server.base_url + ready_path, timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"{module} not ready after {timeout_s}s:\n{server.log()[-4000:]}")
