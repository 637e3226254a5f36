"""The submission API on PostgreSQL answers exactly as on SQLite: the seed's curl, validation, 409, pagination."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.submission.conftest import launch

SEED_CURL = (
    "curl -s -X POST -H 'Content-Type: application/json' -H 'X-API-Key: {key}' "
    """-d '{{"issue":"Build failed due to missing dependency","resolution":"Add package X to requirements.txt"}}' """
    "{url}/submit"
)


@pytest.fixture
def on_postgres(postgres, tmp_path: Path):
    running = launch(tmp_path, postgres.create_database(f"api_{uuid.uuid4().hex[:8]}"))
    yield running
    running.server.stop()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is installed by make test (scripts/system-tools.sh)")
def test_seed_curl_409_422_and_pagination_on_postgresql(on_postgres) -> None:
    curl = SEED_CURL.format(key=on_postgres.key, url=on_postgres.url)
    first = subprocess.run(curl, shell=True, capture_output=True, text=True, timeout=30).stdout
    assert '"message":"Incident submitted successfully","id":1,"count":1' in first
    with on_postgres.client(on_postgres.key) as client:
        again = client.post(
            "/submit",
            json={
                "issue": "BUILD failed due to missing dependency ",
                "resolution": "Add package X to requirements.txt",
            },
        )
        assert again.status_code == 409 and again.json()["existing_id"] == 1
        assert client.post("/submit", json={"issue": "abc", "resolution": "Pin it"}).json()["field"] == "issue"
        ids = [1] + [
            client.post("/submit", json={"issue": f"Pipeline {n} failed on lint", "resolution": f"Run fix {n}"}).json()[
                "id"
            ]
            for n in range(3)
        ]  # ascending; PostgreSQL's sequence may skip the value a refused duplicate drew
        page = client.get("/pairs", params={"limit": 2}).json()
        assert [p["id"] for p in page["items"]] == ids[:2] and page["next_since_id"] == ids[1]
        assert [p["id"] for p in client.get("/pairs", params={"since_id": ids[1]}).json()["items"]] == ids[2:]
    with on_postgres.client(on_postgres.admin_key) as admin:
        reviewed = admin.patch(f"/pairs/{ids[1]}", json={"status": "pending"}).json()
        assert reviewed["reviewed_by"] == "root" and reviewed["status"] == "pending"
        assert admin.get("/stats").json()["by_status"] == {"approved": 3, "pending": 1, "rejected": 0}
