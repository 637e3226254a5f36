"""One definition of a hit and of a correct known-fix claim, for the trainer and the bench scripts."""

from __future__ import annotations

from resolver_core.scoring import hit_rate, known_fix_rates


def test_a_hit_is_a_pair_with_the_questions_fix_among_the_first_k() -> None:
    ranked = [[3, 7, 9], [5, 2, 8], [4, 1, 6]]
    right = [frozenset({3}), frozenset({8, 11}), frozenset({12})]  # the second: either wording of its fix
    assert hit_rate(ranked, right, 1) == round(1 / 3, 4)
    assert hit_rate(ranked, right, 3) == round(2 / 3, 4)


def test_a_claim_is_correct_only_on_a_right_pair() -> None:
    claims = [[3], [7], [], [9], []]
    right = [frozenset({3}), frozenset({8}), frozenset({4}), frozenset(), frozenset()]
    rates = known_fix_rates(claims, right)
    assert rates["precision"] == round(1 / 3, 4)  # [3] right, [7] a wrong fix labelled known, [9] on an unknown one
    assert rates["recall"] == round(1 / 3, 4) and rates["true_on_known"] == round(2 / 3, 4)
    assert rates["false_on_unknown"] == 0.5
    assert known_fix_rates([[]], [frozenset()]) == {
        "precision": None,
        "recall": None,
        "true_on_known": None,
        "false_on_unknown": 1.0,
    }
