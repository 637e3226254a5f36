"""`make collect-feedback`: VM2's verdicts become pending pairs (or flags) on VM1, once, resumably."""

from __future__ import annotations

import sqlite3
import time

from resolver_core.store import SqlitePairStore
from tests.conftest import new_key
from tests.loop.conftest import Vm1, ask, give_feedback
from tests.servers import free_port, start_server

CORRECTED = "CI says the docker image cannot be pulled: manifest unknown for our base image tag"
FIX = "Retag the base image and push it to the registry before the build"


def pairs_from(vm1: Vm1, answer_ids: set[str]) -> dict[str, dict]:
    store = SqlitePairStore.in_data_dir(vm1.data_dir)
    try:
        everything = store.list(limit=1000)
    finally:
        store.close()
    return {
        p["feedback"]["answer_id"]: p for p in everything if p["feedback"] and p["feedback"]["answer_id"] in answer_ids
    }


def test_verdicts_become_pending_pairs_and_flags_once(server, vm2, vm1: Vm1):
    corrected = ask(server.base_url, CORRECTED)
    give_feedback(server.base_url, corrected["answer_id"], "corrected", correction=FIX, comment="tag was deleted")
    accepted_question = f"please help, {vm2.pairs[3]['issue'].lower()}"
    accepted = ask(server.base_url, accepted_question)
    give_feedback(server.base_url, accepted["answer_id"], "accepted")
    rejected = ask(server.base_url, vm2.pairs[4]["issue"])
    assert rejected["based_on"], "a trained question's answer follows its known pair"
    give_feedback(server.base_url, rejected["answer_id"], "rejected")

    report = vm1.report(server.base_url)
    assert report["cursor_after"] > report["cursor_before"] == 0
    made = pairs_from(vm1, {corrected["answer_id"], accepted["answer_id"]})
    fix = made[corrected["answer_id"]]
    assert (fix["issue"], fix["resolution"], fix["status"], fix["source"]) == (CORRECTED, FIX, "pending", "feedback")
    assert fix["feedback"]["verdict"] == "corrected" and fix["feedback"]["model_answer"] == corrected["resolution"]
    assert fix["feedback"]["model_version"] == vm2.version and fix["feedback"]["comment"] == "tag was deleted"
    phrasing = made[accepted["answer_id"]]
    assert (phrasing["issue"], phrasing["resolution"]) == (accepted_question, accepted["resolution"])
    store = SqlitePairStore.in_data_dir(vm1.data_dir)
    assert [store.get(i)["rejections"] for i in rejected["based_on"]] == [1] * len(rejected["based_on"])
    total = store.stats()["total"]

    again = vm1.report(server.base_url)  # nothing new: nothing stored twice
    assert again["cursor_before"] == report["cursor_after"] and again["outcomes"] == {}
    with sqlite3.connect(vm1.data_dir / "pairs.db") as conn:  # a lost cursor: still nothing twice
        conn.execute("DELETE FROM cursors")
    lost = vm1.report(server.base_url)
    assert set(lost["outcomes"]) == {"already_collected"} and store.stats()["total"] == total
    assert [store.get(i)["rejections"] for i in rejected["based_on"]] == [1] * len(rejected["based_on"])
    store.close()


def test_vm2_down_or_a_wrong_key_is_a_clear_error_and_changes_nothing(server, vm1: Vm1):
    store = SqlitePairStore.in_data_dir(vm1.data_dir)
    before = store.list(limit=1000)
    down = vm1.collect(f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "VM2 is not reachable" in down.stderr and "nothing was changed" in down.stderr
    wrong = vm1.collect(server.base_url, key="not-the-export-key-at-all")
    assert wrong.returncode == 1 and "VM2 refused the export (401)" in wrong.stderr
    unset = vm1.collect("")
    assert unset.returncode == 2 and "VM2_URL" in unset.stderr
    assert store.cursor("vm2-feedback") == 0 and store.list(limit=1000) == before
    store.close()


def test_the_submission_service_can_collect_on_a_timer(server, vm1: Vm1, tmp_path):
    question = "Nightly job fails: the artifact bucket denies uploads with AccessDenied for the CI role"
    fix = "Grant the CI role s3:PutObject on the artifact bucket"
    answer = ask(server.base_url, question)
    give_feedback(server.base_url, answer["answer_id"], "corrected", correction=fix)
    env = vm1.env(server.base_url, FEEDBACK_COLLECT_INTERVAL_S="1", SUBMISSION_API_KEYS=f"alice:{new_key()}")
    submission = start_server("submission", env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and answer["answer_id"] not in pairs_from(vm1, {answer["answer_id"]}):
            time.sleep(0.5)
    finally:
        submission.stop()
    made = pairs_from(vm1, {answer["answer_id"]})[answer["answer_id"]]
    assert (made["issue"], made["resolution"], made["status"]) == (question, fix, "pending")
