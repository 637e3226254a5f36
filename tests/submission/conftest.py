from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import new_key
from tests.servers import RunningServer, start_server


@dataclass
class SubmissionServer:
    server: RunningServer
    key: str
    admin_key: str
    data_dir: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.base_url

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"X-API-Key": key} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def submission_env(data_dir: Path, key: str, admin_key: str, database_url: str = "") -> dict[str, str]:
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SUBMISSION_API_KEYS": f"alice:{key}",
        "SUBMISSION_ADMIN_KEYS": f"root:{admin_key}",
    }


def launch(tmp_path: Path, database_url: str = "") -> SubmissionServer:
    """A submission server on its own fresh store: SQLite in tmp_path, or the PostgreSQL database given."""
    key, admin_key = new_key(), new_key()
    data_dir = tmp_path / "data"
    env = submission_env(data_dir, key, admin_key, database_url)
    server = start_server("submission", env, tmp_path)
    return SubmissionServer(server, key, admin_key, data_dir, env)


@pytest.fixture
def submission_server(tmp_path: Path) -> Iterator[SubmissionServer]:
    running = launch(tmp_path)
    yield running
    running.server.stop()
