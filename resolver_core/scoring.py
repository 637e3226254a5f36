"""The two ways answers are scored against the truth, defined once for the trainer and every bench script.

A question's *right pairs* are the pairs that carry its fix (empty: no pair does, the question is unknown). A
retrieval hit@k is a right pair among the first k found. A known-fix *claim* is the pairs an answer is said to be
based on (empty: a suggestion); a claim is correct when it names a right pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean


def hit_rate(ranked: Sequence[Sequence[int]], right: Sequence[frozenset[int]], k: int) -> float:
    """Share of questions with a right pair among their first k ranked pair ids."""
    return round(fmean(bool(r.intersection(ids[:k])) for ids, r in zip(ranked, right, strict=True)), 4)


def known_fix_rates(claims: Sequence[Sequence[int]], right: Sequence[frozenset[int]]) -> dict[str, float | None]:
    """precision: correct claims among all claims; recall: correct claims among known questions; true_on_known:
    known questions with any claim; false_on_unknown: unknown questions with none (None where nothing to count)."""
    known = [i for i, r in enumerate(right) if r]
    unknown = [i for i, r in enumerate(right) if not r]
    claimed = [i for i, c in enumerate(claims) if c]
    correct = [i for i in claimed if right[i].intersection(claims[i])]
    return {
        "precision": round(len(correct) / len(claimed), 4) if claimed else None,
        "recall": round(len(correct) / len(known), 4) if known else None,
        "true_on_known": round(fmean(bool(claims[i]) for i in known), 4) if known else None,
        "false_on_unknown": round(fmean(not claims[i] for i in unknown), 4) if unknown else None,
    }
