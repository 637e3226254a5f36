"""The promotion gate compares like with like: served scores on the same questions, known questions included."""

from __future__ import annotations

from resolver_core.manifest import Manifest
from trainer.promotion import comparable, promotion_problem


def scored(version: str, known_f1: float | None, unknown_f1: float, known_questions: int) -> Manifest:
    known = {"questions": known_questions, "served_f1": known_f1}
    reworded = {
        "file": "paraphrases.json",
        "sha256": "same",
        "questions": 195,
        "answered": 48,
        "known_fix_threshold": 0.5,
        "threshold_calibrated": True,
        "answer_policy": "top_known_fix",
        "far_policy": "model",
        "known_fix": {},
        "known": known,
        "unknown": {"questions": 10, "served_f1": unknown_f1},
    }
    return Manifest.model_validate({"version": version, "metrics": {"reworded": reworded}})


def test_a_version_never_scored_on_known_questions_is_not_promoted_over_one_that_was() -> None:
    promoted = scored("20261201T000000Z", 0.95, 0.20, known_questions=38)
    team = scored("20261206T000000Z", None, 0.20, known_questions=0)  # as good on unknown ones, known unmeasured
    assert comparable(team, promoted)
    problem = promotion_problem(team, promoted)
    assert problem and "no reworded questions about its own pairs" in problem and "--force" in problem
    assert promotion_problem(promoted, team) is None  # the measured one may replace the unmeasured one


def test_versions_scored_alike_are_compared_on_each_group() -> None:
    promoted = scored("20261201T000000Z", 0.95, 0.20, known_questions=38)
    assert promotion_problem(scored("20261206T000000Z", 0.96, 0.21, 38), promoted) is None
    worse = promotion_problem(scored("20261206T000000Z", 0.90, 0.21, 38), promoted)
    assert worse and "known questions 0.900 < 0.950" in worse
