"""A pair's optional log excerpt: accepted by POST /submit and the pairs file, kept clean and without secrets,
shown with the pair, and carried by feedback on a whole-log answer into the review queue."""

from __future__ import annotations

import json

import pytest

from submission.feedback_collection import to_item
from tests.submission.conftest import SubmissionServer

TOKEN = "ghp_" + "K" * 36
EXCERPT = (
    "2026-03-01T10:00:00.1234567Z \x1b[31mnpm ERR! code ERESOLVE\x1b[0m\n"
    "\n"
    "2026-03-01T10:00:00.2234567Z npm ERR! ERESOLVE unable to resolve dependency tree\n"
    f"2026-03-01T10:00:00.3234567Z npm ERR! //registry.npmjs.org/:_authToken={TOKEN}"
)
PAIR = {"issue": "npm ci fails with ERESOLVE in CI", "resolution": "Pin react-dom to the react major in package.json"}


def test_submit_keeps_the_excerpt_clean_and_without_secrets(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        created = client.post("/submit", json={**PAIR, "log_excerpt": EXCERPT})
        assert created.status_code == 201, created.text
        pair = client.get("/pairs").json()["items"][0]
    assert pair["log_excerpt"].splitlines() == [
        "npm ERR! code ERESOLVE",
        "npm ERR! ERESOLVE unable to resolve dependency tree",
        "npm ERR! //registry.npmjs.org/:_authToken=[REDACTED:github-token]",
    ]
    assert TOKEN not in json.dumps(pair)


@pytest.mark.parametrize(
    ("excerpt", "message"),
    [(123, "string"), ("x" * 4001, "at most 4000"), ("\x1b[0m\n\n  \n", "no log line")],
)
def test_a_bad_excerpt_gets_422_naming_it(submission_server: SubmissionServer, excerpt, message) -> None:
    with submission_server.client(submission_server.key) as client:
        response = client.post("/submit", json={**PAIR, "log_excerpt": excerpt})
    assert response.status_code == 422 and response.json()["field"] == "log_excerpt"
    assert message in response.json()["error"]


def test_feedback_on_a_whole_log_answer_becomes_a_pair_with_its_excerpt() -> None:
    exported = {
        "answer_id": "ans_1",
        "seq": 7,
        "verdict": "corrected",
        "correction": "Pin react-dom to the react major",
        "answer": "Run npm install",
        "model_version": "v1",
        "given_by": "dana",
        "comment": None,
        "question": "npm ERR! code ERESOLVE " + "x" * 400,
        "log_excerpt": "npm ERR! code ERESOLVE\nnpm ERR! Found: react@17",
    }
    item = to_item(exported, 5, 200, 4000)
    assert item.pair is not None and len(item.pair.issue) <= 200 and item.pair.issue.startswith("npm ERR! code")
    assert item.pair.log_excerpt == "npm ERR! code ERESOLVE\nnpm ERR! Found: react@17"
