"""The feedback half of the store contract, on both backends: collected verdicts become pending pairs or flags,
once, with the cursor moved in the same transaction; reviewers edit pairs without making duplicates."""

from __future__ import annotations

import pytest

from resolver_core.store import DuplicatePair, PairStore
from resolver_core.store.base import FeedbackItem, FeedbackPair

QUESTION = "npm ci stops: react-dom 18 wants react 18, the lock file has 17"


def correction(answer_id: str, seq: int, fix: str = "Bump react to 18.3 and regenerate the lock file") -> FeedbackItem:
    pair = FeedbackPair(QUESTION, fix, "dana", "20261203-101500", "Add react-dom to the store", "worked")
    return FeedbackItem(answer_id, seq, "corrected", pair=pair)


def test_feedback_becomes_pending_pairs_and_flags_exactly_once(store: PairStore) -> None:
    known, _ = store.add("Docker push denied", "Log in to the registry", "alice")
    page = [
        correction("ans_1", 1),
        FeedbackItem("ans_2", 2, "rejected", flag_pair_ids=(known,)),
        correction("ans_3", 3),  # the same pair again: a duplicate, not a second row
        FeedbackItem("ans_4", 4, "accepted", invalid="issue: must be at most 200 characters"),
    ]
    outcomes = store.apply_feedback(page, "vm2", 4)
    assert [o.outcome for o in outcomes] == ["pending", "flagged", "duplicate", "invalid"]
    assert outcomes[2].pair_id == outcomes[0].pair_id
    assert store.cursor("vm2") == 4 and store.cursor("elsewhere") == 0
    pair = store.get(outcomes[0].pair_id)
    assert (pair["status"], pair["source"], pair["submitted_by"]) == ("pending", "feedback", "dana")
    assert pair["feedback"] == {
        "answer_id": "ans_1",
        "model_version": "20261203-101500",
        "verdict": "corrected",
        "model_answer": "Add react-dom to the store",
        "comment": "worked",
    }
    assert store.get(known)["rejections"] == 1 and store.get(known)["feedback"] is None
    stats = store.stats()
    assert (stats["total"], stats["from_feedback"], stats["flagged"]) == (2, 1, 1)

    again = store.apply_feedback(page, "vm2", 4)  # collecting twice stores nothing twice
    assert {o.outcome for o in again} == {"already_collected"}
    assert store.stats()["total"] == 2 and store.get(known)["rejections"] == 1
    assert [p["id"] for p in store.pairs_with_status("approved")] == [known]


def test_a_failed_page_changes_nothing(store: PairStore) -> None:
    broken = FeedbackItem("ans_2", 2, "corrected", pair=FeedbackPair(QUESTION, None, "d", "v", "a", None))  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 — the engine's own error for a NULL resolution
        store.apply_feedback([correction("ans_1", 1), broken], "vm2", 2)
    assert store.stats()["total"] == 0 and store.cursor("vm2") == 0


def test_review_edits_text_and_status_and_refuses_a_duplicate(store: PairStore) -> None:
    first, _ = store.add("Docker push denied", "Log in to the registry", "alice")
    second, _ = store.add(QUESTION, "Add react-dom", "dana", status="pending")
    assert store.update_pair(second, "root", status="approved", resolution="Bump react to 18.3")
    edited = store.get(second)
    assert (edited["resolution"], edited["status"], edited["reviewed_by"]) == ("Bump react to 18.3", "approved", "root")
    with pytest.raises(DuplicatePair) as duplicate:
        store.update_pair(second, "root", issue="docker push DENIED", resolution="log in to the registry")
    assert duplicate.value.existing_id == first and store.get(second)["issue"] == QUESTION
    assert not store.update_pair(second + 100, "root", status="rejected")
    with pytest.raises(DuplicatePair):
        store.add(QUESTION, "Bump react to 18.3", "bob")  # the edited text is what duplicates are checked on
