"""Calibrating the known-fix threshold from a version's own pairs: leave-one-out searches, the conformal quantile,
what is recorded, and how the file's questions join in."""

from __future__ import annotations

import pytest

from resolver_core.calibration import Probe, calibrate, conformal_threshold, leave_one_out_probes
from resolver_core.manifest import NEVER_CLOSE
from resolver_core.retrieval import SimilarPairs
from tests.conftest import REWORDED_QUESTIONS
from tests.scripted_answers import generating, scripted
from tests.training_pairs import PAIRS
from trainer.questions import load_questions, score_questions

STORE = [{"id": 10 + i, "issue": issue, "resolution": fix} for i, (issue, fix) in enumerate(PAIRS[:24])]


def test_a_left_out_pair_is_searched_as_if_it_had_never_been_submitted() -> None:
    index = SimilarPairs(STORE, ids=[p["id"] for p in STORE])
    positions = list(range(len(STORE)))
    left_out = index.search_left_out(positions, k=4)
    for position, found in zip(positions, left_out, strict=True):
        others = [p for p in STORE if p is not STORE[position]]
        fresh = SimilarPairs(others, ids=[p["id"] for p in others]).search(STORE[position]["issue"], 4)
        assert found == fresh  # what a TF-IDF refit without the pair gives, not merely the pair excluded
        assert STORE[position]["id"] not in {s.id for s in found}
    excluded = index.search(STORE[3]["issue"], 4, exclude=frozenset({STORE[3]["id"]}))
    assert [s.score for s in excluded] != [s.score for s in left_out[0]]  # its own words no longer dilute


def test_a_pair_whose_fix_another_pair_carries_is_a_known_question_and_feedback_says_so() -> None:
    accepted = {
        "id": 99,
        "issue": "npm install in CI dies on a peer dependency clash",
        "source": "feedback",
        "resolution": STORE[0]["resolution"],
    }
    pairs = [*STORE, accepted]
    probes = leave_one_out_probes(SimilarPairs(pairs, ids=[p["id"] for p in pairs]), pairs, "top_and_margin")
    assert len(probes) == 25
    assert probes[-1] == Probe(probes[-1].closeness, known=True, source="feedback")
    assert probes[0].known and probes[0].source == "leave_one_out"  # the original pair, left out, is found too
    assert not any(p.known for p in probes[1:-1])


def test_the_conformal_quantile_keeps_the_asked_share_of_unknown_questions_below_it() -> None:
    unknown = [i / 10 for i in range(1, 11)]
    assert conformal_threshold(unknown, 0.8) == 0.9  # the ⌈11 × 0.8⌉ = 9th smallest: 8 of 10 below
    assert conformal_threshold(unknown, 0.5) == 0.6
    assert conformal_threshold([0.2, 0.4, 0.3], 0.8) == NEVER_CLOSE  # 3 questions cannot vouch for 80%
    assert conformal_threshold([0.2, 0.4, 0.3, 0.1], 0.8) == 0.4


def test_without_known_questions_the_threshold_comes_from_the_unknown_ones_and_says_so() -> None:
    probes = [Probe(c, False, "leave_one_out") for c in (0.2, 0.3, 0.4, 0.5, 0.6)]
    calibration = calibrate(probes, 0.8)
    assert calibration.method == "unknown_quantile" and calibration.known_fix_threshold == 0.6
    assert calibration.unknown_leave_one_out == 5 and calibration.known == 0
    assert "TRAIN_EVAL_QUESTIONS" in calibration.warning()
    with_known = calibrate([*probes, Probe(0.9, True, "feedback"), Probe(0.55, True, "questions")], 0.8)
    assert with_known.method == "known_and_unknown" and with_known.known_fix_threshold == 0.55
    assert (with_known.known_feedback, with_known.known_questions) == (1, 1) and with_known.warning() is None
    nothing = calibrate(probes[:2], 0.8)
    assert nothing.known_fix_threshold == NEVER_CLOSE and "too few pairs" in nothing.warning()
    assert calibrate([], 0.8).method == "none"


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return load_questions(REWORDED_QUESTIONS)[0]


def _echo_top_fix(base_model_path, index: SimilarPairs, questions: list[dict]):
    answering = generating(base_model_path, index)
    queries = [q["query"] for q in questions]
    return answering, scripted(answering, queries, lambda q: index.search(q, 1)[0].resolution)


def test_a_question_file_about_other_failures_leaves_calibration_to_the_pairs(questions, base_model_path) -> None:
    """A team's version scored on a question file that asks nothing about its pairs (the shipped one, say)."""
    store = STORE[12:]  # none of the file's known questions is about these
    store_issues = {p["issue"] for p in store}
    about_others = [q for q in questions if q.get("issue") not in store_issues]
    index = SimilarPairs(store, ids=[p["id"] for p in store])
    probes = leave_one_out_probes(index, store, "top_and_margin")
    answering, echo = _echo_top_fix(base_model_path, index, about_others)
    scores = score_questions(echo, answering, about_others, 0, 96, pair_probes=probes)
    calibration = scores["calibration"]
    assert calibration.method == "unknown_quantile" and calibration.unknown_leave_one_out == len(store)
    assert calibration.unknown_questions == calibration.known == 0
    assert calibration.known_fix_threshold == conformal_threshold([p.closeness for p in probes], 0.8)
    assert scores["answer_policy"] == "top_known_fix" and calibration.close_policy_from == "default"


def test_a_question_file_about_the_pairs_joins_the_left_out_pairs(questions, base_model_path) -> None:
    index = SimilarPairs(STORE, ids=[p["id"] for p in STORE])
    probes = leave_one_out_probes(index, STORE, "top_and_margin")
    answering, echo = _echo_top_fix(base_model_path, index, questions)
    scores = score_questions(echo, answering, questions, 0, 96, pair_probes=probes)
    calibration = scores["calibration"]
    assert calibration.method == "known_and_unknown"
    assert (calibration.known_questions, calibration.unknown_questions) == (10, 6)
    assert calibration.unknown_leave_one_out == 24 and calibration.close_policy_from == "answers"
    assert scores["known_fix"]["false_on_unknown"] >= 0.8 and scores["known_fix"]["precision"] >= 0.9
