"""The client as CI runs it: a subprocess, standard library only. VM2 misbehaving (slow, failing) is played by a
small loopback stand-in (`BrokenVm2`); answers come from the real server in tests/integrations."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT

CLIENT = REPO_ROOT / "client"


def run_client(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 120):
    """`python -m ci_resolver_client ARGS` from the client's folder alone (nothing of the server importable)."""
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(CLIENT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-B", "-m", "ci_resolver_client", *args],
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=timeout,
        cwd=CLIENT,
    )


@dataclass
class BrokenVm2:
    """A stand-in for VM2 that answers `status` after `delay_s`, and keeps what it was sent."""

    status: int = 503
    delay_s: float = 0.0
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def broken_vm2() -> Iterator[BrokenVm2]:
    state = BrokenVm2()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self._body()
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            state.requests.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            time.sleep(state.delay_s)
            payload = json.dumps({"error": "the model is busy: try again shortly", "field": None}).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up first

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))
            chunks = []
            while size := int(self.rfile.readline().strip(), 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def client_files() -> list[Path]:
    return sorted((CLIENT / "ci_resolver_client").glob("*.py"))
