"""Feedback on VM2: every answer has an id, verdicts are stored once, bad input changes nothing, VM1 pulls them."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from inference.feedback_store import AnswerRecord, FeedbackStore
from tests.conftest import new_key
from tests.inference.conftest import EXPORT_KEY
from tests.servers import start_server

EXPORT = {"X-API-Key": EXPORT_KEY}


def ask(base_url: str, issue: str, headers: dict | None = None) -> dict:
    response = httpx.post(f"{base_url}/resolve", json={"issue": issue}, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def feedback(base_url: str, body: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{base_url}/feedback", json=body, headers=headers, timeout=30)


def exported(base_url: str, after: int = 0) -> list[dict]:
    response = httpx.get(f"{base_url}/feedback/export", params={"after": after}, headers=EXPORT, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_correction_is_stored_once_and_exported_with_its_question_and_answer(server, vm2):
    question = "npm ci stops: the lock file says react 17 but react-dom 18 needs react 18"
    answer = ask(server.base_url, question)
    assert answer["answer_id"].startswith("ans_")
    body = {
        "answer_id": answer["answer_id"],
        "verdict": "corrected",
        "correction": "  Bump react to 18.3 and regenerate package-lock.json  ",
        "comment": "worked on main",
    }
    receipt = feedback(server.base_url, body)
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["verdict"] == "corrected" and receipt.json()["given_by"] is None
    replay = feedback(server.base_url, body)
    assert replay.status_code == 409 and replay.json()["field"] == "answer_id"

    items = [item for item in exported(server.base_url) if item["answer_id"] == answer["answer_id"]]
    assert len(items) == 1
    item = items[0]
    assert item["correction"] == "Bump react to 18.3 and regenerate package-lock.json"
    assert item["question"] == question and item["answer"] == answer["resolution"]
    assert item["model_version"] == vm2.version and item["based_on"] == answer["based_on"]
    assert item["known_fix"] == answer["known_fix"] and item["comment"] == "worked on main"
    assert exported(server.base_url, after=item["seq"]) == [
        i for i in exported(server.base_url) if i["seq"] > item["seq"]
    ]


def test_the_openai_route_answers_carry_an_id_that_takes_feedback(server, vm2):
    chat = {"model": "ci-resolver", "messages": [{"role": "user", "content": vm2.pairs[1]["issue"]}]}
    reply = httpx.post(f"{server.base_url}/v1/chat/completions", json=chat, timeout=120).json()
    assert reply["answer_id"].startswith("ans_")
    assert feedback(server.base_url, {"answer_id": reply["answer_id"], "verdict": "accepted"}).status_code == 201
    streamed = httpx.post(f"{server.base_url}/v1/chat/completions", json={**chat, "stream": True}, timeout=120)
    chunks = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    assert chunks[-1]["answer_id"].startswith("ans_") and chunks[-1]["answer_id"] != reply["answer_id"]
    assert feedback(server.base_url, {"answer_id": chunks[-1]["answer_id"], "verdict": "rejected"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"answer_id": "ans_000000000000000000000000", "verdict": "accepted"}, 404, "answer_id"),
        ({"answer_id": "x" * 65, "verdict": "accepted"}, 422, "answer_id"),
        ({"verdict": "accepted"}, 422, "answer_id"),
        ({"answer_id": "ANSWER", "verdict": "maybe"}, 422, "verdict"),
        ({"answer_id": "ANSWER", "verdict": "corrected"}, 422, "correction"),
        ({"answer_id": "ANSWER", "verdict": "corrected", "correction": "x" * 201}, 422, "correction"),
        ({"answer_id": "ANSWER", "verdict": "corrected", "correction": "!!!!!!!!"}, 422, "correction"),
        ({"answer_id": "ANSWER", "verdict": "accepted", "correction": "Pin the version"}, 422, "correction"),
        ({"answer_id": "ANSWER", "verdict": "accepted", "comment": 7}, 422, "comment"),
    ],
)
def test_bad_feedback_is_a_4xx_naming_the_field_and_stores_nothing(server, vm2, body, status, field):
    answer = ask(server.base_url, vm2.pairs[2]["issue"])
    body = {k: answer["answer_id"] if v == "ANSWER" else v for k, v in body.items()}
    before = exported(server.base_url)
    response = feedback(server.base_url, body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert exported(server.base_url) == before
    assert feedback(server.base_url, {"answer_id": answer["answer_id"], "verdict": "accepted"}).status_code == 201


def test_export_needs_the_export_role(server, vm2):
    url = f"{server.base_url}/feedback/export"
    assert httpx.get(url, timeout=30).status_code == 401
    assert httpx.get(url, headers={"X-API-Key": vm2.admin_key}, timeout=30).status_code == 401
    assert httpx.get(url, params={"after": -1}, headers=EXPORT, timeout=30).status_code == 422


def test_with_caller_keys_feedback_needs_a_key_and_records_its_holder(vm2, tmp_path):
    caller_key = new_key()
    env = vm2.env(RESOLVE_API_KEYS=f"dana:{caller_key}", FEEDBACK_EXPORT_KEYS="", DATA_DIR=str(tmp_path / "vm2"))
    keyed = start_server("inference", env, tmp_path, timeout_s=240)
    try:
        headers = {"X-API-Key": caller_key}
        answer = ask(keyed.base_url, vm2.pairs[0]["issue"], headers)
        body = {"answer_id": answer["answer_id"], "verdict": "accepted"}
        assert feedback(keyed.base_url, body).status_code == 401
        assert feedback(keyed.base_url, body, {"X-API-Key": "wrong-" + caller_key}).status_code == 401
        receipt = feedback(keyed.base_url, body, headers)
        assert receipt.status_code == 201 and receipt.json()["given_by"] == "dana"
        disabled = httpx.get(f"{keyed.base_url}/feedback/export", headers=headers, timeout=30)
        assert disabled.status_code == 403 and "FEEDBACK_EXPORT_KEYS" in disabled.json()["error"]
        assert vm2.pairs[0]["issue"] not in keyed.log()  # questions stay out of the logs unless LOG_QUESTIONS
    finally:
        keyed.stop()
    stored = sqlite3.connect(tmp_path / "vm2" / "feedback.db").execute("SELECT caller FROM answers").fetchall()
    assert stored == [("dana",)]


def record(store: FeedbackStore, question: str = "the build broke") -> str:
    return store.record_answer(AnswerRecord("v1", question, "an answer", False, "model", [], [(1, 0.5)], None))


def age(path: Path, days: float) -> None:
    """Make every stored row `days` older."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE answers SET created_ts = created_ts - ?", (days * 86400,))
        conn.execute("UPDATE feedback SET created_ts = created_ts - ?", (days * 86400,))


def test_retention_keeps_uncollected_feedback_and_bounds_the_rest(tmp_path):
    store = FeedbackStore.in_data_dir(tmp_path)
    unjudged, judged = record(store), record(store)
    seq, _ = store.add_feedback(judged, "corrected", "Pin the version", None, None)
    age(store.path, 40)
    assert store.prune(retention_days=30, max_answers=100) == {"answers": 1, "feedback": 0}
    assert store.answer(unjudged) is None and store.answer(judged) is not None  # VM1 has not collected it yet
    assert [item["answer_id"] for item in store.export(after=seq, limit=10)] == []  # acknowledges seq
    assert store.prune(retention_days=30, max_answers=100) == {"answers": 1, "feedback": 1}
    recent = [record(store, f"question {n}") for n in range(5)]
    time.sleep(0.01)
    assert store.prune(retention_days=30, max_answers=3)["answers"] == 2
    assert [store.answer(a) is not None for a in recent] == [False, False, True, True, True]
