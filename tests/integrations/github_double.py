"""A loopback stand-in for the few GitHub REST endpoints the action calls: the only double in the integration
tests (GitHub itself is not reachable from here). It checks the token, serves job logs by redirect as GitHub does,
and keeps the pull-request comments it was asked to create or edit."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN = "ghs_test-token-of-the-run"


@dataclass
class GitHubDouble:
    url: str = ""
    jobs: list[dict] = field(default_factory=list)  # {"id", "name", "conclusion"} of the run
    logs: dict[int, bytes] = field(default_factory=dict)  # job id -> log
    comments: list[dict] = field(default_factory=list)  # {"id", "body"} on pull request 7
    log_downloads: list[dict] = field(default_factory=list)  # headers the storage host received
    calls: list[str] = field(default_factory=list)


ROUTES = {
    "jobs": re.compile(r"^/repos/acme/shop/actions/runs/(\d+)/jobs$"),
    "log": re.compile(r"^/repos/acme/shop/actions/jobs/(\d+)/logs$"),
    "storage": re.compile(r"^/storage/(\d+)\.txt$"),
    "comments": re.compile(r"^/repos/acme/shop/issues/7/comments$"),
    "comment": re.compile(r"^/repos/acme/shop/issues/comments/(\d+)$"),
}


def _handler(state: GitHubDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if match := ROUTES["storage"].match(path):  # another host in GitHub: no token expected
                state.log_downloads.append({k.lower(): v for k, v in self.headers.items()})
                return self._reply(200, state.logs[int(match[1])], "text/plain")
            if not self._authorised(f"GET {path}"):
                return None
            if match := ROUTES["jobs"].match(path):
                return self._json(200, {"total_count": len(state.jobs), "jobs": state.jobs})
            if match := ROUTES["log"].match(path):
                self.send_response(302)
                self.send_header("Location", f"{state.url}/storage/{match[1]}.txt")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if ROUTES["comments"].match(path):
                return self._json(200, state.comments)
            return self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            if self._authorised(f"POST {path}") and ROUTES["comments"].match(path):
                comment = {"id": 1000 + len(state.comments), "body": self._body()["body"]}
                state.comments.append(comment)
                return self._json(201, comment)
            return None

        def do_PATCH(self) -> None:
            path = self.path.split("?")[0]
            if self._authorised(f"PATCH {path}") and (match := ROUTES["comment"].match(path)):
                comment = next(c for c in state.comments if c["id"] == int(match[1]))
                comment["body"] = self._body()["body"]
                return self._json(200, comment)
            return None

        def _authorised(self, call: str) -> bool:
            state.calls.append(call)
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                return True
            self._json(401, {"message": "Bad credentials"})
            return False

        def _body(self) -> dict:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _json(self, status: int, payload: object) -> None:
            self._reply(status, json.dumps(payload).encode(), "application/json")

        def _reply(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def github_double() -> Iterator[GitHubDouble]:
    state = GitHubDouble()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def event_file(folder: Path, event: dict) -> Path:
    path = folder / "event.json"
    path.write_text(json.dumps(event))
    return path
