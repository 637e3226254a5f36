"""The submission API over real HTTP against a real server process and SQLite."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.submission.conftest import SubmissionServer

SEED_ISSUE = "Build failed due to missing dependency"
SEED_RESOLUTION = "Add package X to requirements.txt"


def test_seed_curl_command_works_verbatim(submission_server: SubmissionServer) -> None:
    assert shutil.which("curl"), "curl is needed for the seed contract test"
    body = json.dumps({"issue": SEED_ISSUE, "resolution": SEED_RESOLUTION})
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-H",
            f"X-API-Key: {submission_server.key}",
            "-d",
            body,
            "-w",
            "\n%{http_code}",
            f"{submission_server.url}/submit",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    payload, status = result.stdout.rsplit("\n", 1)
    assert status == "201"
    created = json.loads(payload)
    assert created["id"] == 1 and created["count"] == 1 and created["submitted_by"] == "alice"
    with submission_server.client(submission_server.key) as client:
        stored = client.get(f"/pairs/{created['id']}").json()
    assert (stored["issue"], stored["resolution"], stored["status"]) == (SEED_ISSUE, SEED_RESOLUTION, "approved")


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"issue": "Flaky test in CI", "resolution": 42}, 422, "resolution", "valid string"),
        ({"resolution": "Pin the version"}, 422, "issue", "required"),
        ({"issue": "  abc  ", "resolution": "Pin the version"}, 422, "issue", "at least 5"),
        ({"issue": "x" * 10 + " Build broke " + "y" * 200, "resolution": "Pin it"}, 422, "issue", "at most 200"),
        ({"issue": "Build\x07 failed badly", "resolution": "Pin the version"}, 422, "issue", "control characters"),
        ({"issue": "Build failed again", "resolution": " build  FAILED again "}, 422, "resolution", "differ"),
        ({"issue": "!!!!!!!!", "resolution": "Pin the version"}, 422, "issue", "letters"),
        ({"issue": "zzzzzzzzzz", "resolution": "Pin the version"}, 422, "issue", "repeated"),
        ({"issue": "Build failed again", "resolution": "Pin it", "tags": "npm"}, 422, "tags", "valid list"),
    ],
)
def test_invalid_pairs_get_422_naming_the_field(
    submission_server: SubmissionServer, body: dict, status: int, field: str, words: str
) -> None:
    with submission_server.client(submission_server.key) as client:
        response = client.post("/submit", json=body)
        assert response.status_code == status, response.text
        error = response.json()
        assert error["field"] == field and words in error["error"]
        assert client.get("/stats").json()["total"] == 0


def test_malformed_json_and_non_object_bodies_get_400(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        headers = {"Content-Type": "application/json"}
        broken = client.post("/submit", content=b'{"issue": "Build failed"', headers=headers)
        assert broken.status_code == 400 and broken.json()["field"] == "body"
        listed = client.post("/submit", content=b"[1, 2]", headers=headers)
        assert listed.status_code == 400 and "object" in listed.json()["error"]


def test_oversized_body_gets_413_and_stores_nothing(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        huge = {"issue": "Build failed " * 6000, "resolution": "Pin the version"}
        response = client.post("/submit", json=huge)
        assert response.status_code == 413 and response.json()["field"] == "body"
        assert client.get("/stats").json()["total"] == 0


def test_missing_or_wrong_key_gets_401(submission_server: SubmissionServer) -> None:
    body = {"issue": SEED_ISSUE, "resolution": SEED_RESOLUTION}
    for key in (None, "not-the-key-at-all-0000", submission_server.key + "x"):
        with submission_server.client(key) as client:
            response = client.post("/submit", json=body)
            assert response.status_code == 401 and response.json()["field"] == "X-API-Key"
            assert client.get("/pairs").status_code == 401
    with submission_server.client(submission_server.key) as client:
        assert client.get("/stats").json()["total"] == 0


def test_duplicate_after_normalisation_gets_409_with_existing_id(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        first = client.post("/submit", json={"issue": SEED_ISSUE, "resolution": SEED_RESOLUTION}).json()
        again = client.post("/submit", json={"issue": f"  {SEED_ISSUE.upper()} ", "resolution": SEED_RESOLUTION})
        assert again.status_code == 409 and again.json()["existing_id"] == first["id"]
        assert client.get("/stats").json()["total"] == 1


def test_only_admin_key_deletes_and_changes_status(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        pair_id = client.post("/submit", json={"issue": SEED_ISSUE, "resolution": SEED_RESOLUTION}).json()["id"]
        assert client.delete(f"/pairs/{pair_id}").status_code == 401
        assert client.patch(f"/pairs/{pair_id}", json={"status": "pending"}).status_code == 401
    with submission_server.client(submission_server.admin_key) as admin:
        held = admin.patch(f"/pairs/{pair_id}", json={"status": "pending"})
        assert held.status_code == 200 and held.json()["status"] == "pending"
        assert admin.get("/export").json() == []
        assert admin.patch(f"/pairs/{pair_id}", json={"status": "maybe"}).status_code == 422
        assert admin.delete(f"/pairs/{pair_id}").json() == {"deleted": pair_id}
        assert admin.get(f"/pairs/{pair_id}").status_code == 404
        assert admin.delete(f"/pairs/{pair_id}").status_code == 404


def test_reviewers_edit_and_approve_a_pending_pair(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        taken = client.post("/submit", json={"issue": "Docker push denied", "resolution": "Log in first"}).json()
        pair = client.post("/submit", json={"issue": "npm ci fails: ERESOLVE", "resolution": "Add react-dom"}).json()
        assert client.patch(f"/pairs/{pair['id']}", json={"resolution": "Align react"}).status_code == 401
    with submission_server.client(submission_server.admin_key) as admin:
        url = f"/pairs/{pair['id']}"
        edited = admin.patch(url, json={"resolution": "  Bump react to 18.3  ", "status": "approved"})
        assert edited.status_code == 200, edited.text
        assert (edited.json()["resolution"], edited.json()["reviewed_by"]) == ("Bump react to 18.3", "root")
        for body, status, field in [
            ({}, 422, "status"),
            ({"resolution": "x"}, 422, "resolution"),
            ({"issue": "Bump react to 18.3"}, 422, "resolution"),  # the issue may not equal the resolution
            ({"issue": "docker push DENIED", "resolution": "log in first"}, 409, "issue"),
        ]:
            response = admin.patch(url, json=body)
            assert (response.status_code, response.json()["field"]) == (status, field), response.text
        assert admin.get(url).json()["resolution"] == "Bump react to 18.3"
        assert (
            admin.patch(url, json={"issue": "docker push DENIED", "resolution": "log in first"}).json()["existing_id"]
            == taken["id"]
        )
        assert admin.patch("/pairs/999", json={"status": "approved"}).status_code == 404


def test_pairs_paginate_by_since_id_and_filter_by_status(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        for n in range(5):
            client.post("/submit", json={"issue": f"Pipeline {n} failed on lint", "resolution": f"Run fix {n}"})
        first = client.get("/pairs", params={"limit": 2}).json()
        assert [p["id"] for p in first["items"]] == [1, 2] and first["next_since_id"] == 2
        rest = client.get("/pairs", params={"since_id": 2, "limit": 10}).json()
        assert [p["id"] for p in rest["items"]] == [3, 4, 5] and rest["next_since_id"] is None
        assert client.get("/pairs", params={"status": "pending"}).json()["items"] == []
        stats = client.get("/stats").json()
        assert stats == {
            "total": 5,
            "by_status": {"approved": 5, "pending": 0, "rejected": 0},
            "newest_id": 5,
            "from_feedback": 0,
            "flagged": 0,
        }
        exported = client.get("/export").json()
        assert exported[0] == {"issue": "Pipeline 0 failed on lint", "resolution": "Run fix 0"} and len(exported) == 5


def test_health_metrics_and_openapi_are_served(submission_server: SubmissionServer) -> None:
    with submission_server.client() as client:
        assert client.get("/healthz").json()["status"] == "ok"
        client.post("/submit", json={"issue": SEED_ISSUE, "resolution": SEED_RESOLUTION})
        assert 'route="/submit",status="401"' in client.get("/metrics").text
        schema = client.get("/openapi.json").json()
        assert {"/submit", "/pairs", "/pairs/{pair_id}", "/stats", "/export"} <= set(schema["paths"])
        assert client.get("/docs").status_code == 200
