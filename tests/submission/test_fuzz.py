"""The submission API under a bounded property-based fuzz of its own spec: documented answers only, data intact."""

from __future__ import annotations

import sqlite3

from resolver_core.store import DB_FILE_NAME
from tests.fuzz import fuzz, generated_cases
from tests.submission.conftest import SubmissionServer

PAIRS = [
    ("Build failed due to missing dependency", "Add package X to requirements.txt"),
    ("Docker push denied: requested access to the resource is denied", "Run docker login with the CI token first"),
    ("npm ci fails with ERESOLVE on peer dependencies", "Align the react versions and regenerate the lock file"),
]


def test_fuzzed_requests_get_documented_answers_and_the_store_stays_intact(
    submission_server: SubmissionServer, tmp_path
) -> None:
    with submission_server.client(submission_server.key) as client:
        for issue, resolution in PAIRS:  # real rows, so GET/PATCH/DELETE by id meet some
            assert client.post("/submit", json={"issue": issue, "resolution": resolution}).status_code == 201
    report = fuzz(submission_server.url, submission_server.admin_key, max_examples=60, seed=1, workdir=tmp_path)
    assert generated_cases(report) >= 300, report[-3000:]
    database = submission_server.data_dir / DB_FILE_NAME
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = connection.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
    with submission_server.client(submission_server.key) as client:
        listed = client.get("/pairs", params={"limit": 1000}).json()["items"]
        assert client.get("/stats").json()["total"] == stored == len(listed)
    assert "Traceback" not in submission_server.server.log()
