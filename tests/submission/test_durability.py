"""Concurrent writers and a kill -9 mid-load: nothing acknowledged is ever lost, the database stays intact."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from resolver_core.store import open_store
from submission.pairs_files import export_pairs_file
from tests.servers import start_server
from tests.submission.conftest import launch

THREADS, PER_THREAD = 16, 50


def submit_many(url: str, key: str, thread: int, count: int, stop: threading.Event | None = None) -> list[int]:
    """Submit `count` distinct pairs; return the ids the server acknowledged with 201."""
    acknowledged = []
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        for n in range(count):
            if stop is not None and stop.is_set():
                break
            body = {"issue": f"Job {thread}-{n} failed: cache miss", "resolution": f"Clear cache {thread}-{n}"}
            try:
                response = client.post("/submit", json=body)
            except httpx.TransportError:
                break
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
    return acknowledged


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each backend for real: "" = SQLite in the test's folder, else a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres").create_database(f"durability_{uuid.uuid4().hex[:8]}")


def test_concurrent_submissions_lose_nothing(database_url: str, tmp_path: Path) -> None:
    submission_server = launch(tmp_path, database_url)
    try:
        _submit_concurrently_and_check(submission_server, database_url)
    finally:
        submission_server.server.stop()


def _submit_concurrently_and_check(submission_server, database_url: str) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [
            pool.submit(submit_many, submission_server.url, submission_server.key, t, PER_THREAD)
            for t in range(THREADS)
        ]
        acknowledged = [pair_id for future in futures for pair_id in future.result()]
    assert len(acknowledged) == THREADS * PER_THREAD == len(set(acknowledged))
    with submission_server.client(submission_server.key) as client:
        assert client.get("/stats").json()["total"] == 800
        exported = json.loads(client.get("/export").content)
    assert len(exported) == 800 and all(set(item) == {"issue", "resolution"} for item in exported)
    export_file = submission_server.data_dir / "export.json"
    store = open_store(database_url, submission_server.data_dir)
    assert export_pairs_file(store, export_file) == 800
    store.close()
    assert len(json.loads(export_file.read_text())) == 800


def test_kill_9_during_load_keeps_every_acknowledged_pair(database_url: str, tmp_path: Path) -> None:
    running = launch(tmp_path, database_url)
    stop = threading.Event()
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(submit_many, running.url, running.key, t, 10_000, stop) for t in range(8)]
        time.sleep(2.0)
        running.server.kill()
        stop.set()
        acknowledged = {pair_id for future in futures for pair_id in future.result()}
    assert len(acknowledged) > 50, "the load did not get going before the kill"
    restarted = start_server("submission", running.env, tmp_path)
    try:
        with httpx.Client(base_url=restarted.base_url, headers={"X-API-Key": running.key}, timeout=30) as client:
            stored_ids: set[int] = set()
            since = 0
            while since is not None:
                page = client.get("/pairs", params={"since_id": since, "limit": 1000}).json()
                stored_ids |= {item["id"] for item in page["items"]}
                since = page["next_since_id"]
            assert acknowledged <= stored_ids
            after = client.post("/submit", json={"issue": "Deploy failed after restart", "resolution": "Retry it"})
            assert after.status_code == 201
    finally:
        restarted.stop()
    store = open_store(database_url, running.data_dir)
    assert store.integrity_ok()
    store.close()
