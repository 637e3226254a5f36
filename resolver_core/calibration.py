"""Where "close enough to be the team's known fix" lies for one version, calibrated from the version's own pairs.

The line is drawn between two kinds of question (each reduced to its closeness, resolver_core.grounding):
- *unknown*: a question about a failure the version does not know. Every version has these in its own words and
  domain: each pair's issue searched among the *other* pairs (leave-one-out) is one.
- *known*: a question about a failure the version knows, worded otherwise. A pair whose fix another pair also
  carries is one when left out — above all a pair made from an answer a developer accepted on VM2 (a developer's
  real wording of a known failure); so is a reworded question of the question file whose pair is in the version.
  A left-out pair whose fix no other pair carries (a correction with a new fix) is an unknown question.

With known questions, the threshold recognises the most of them while keeping at least `min_false_on_unknown` of
the unknown ones below it (grounding.calibrate_threshold). Without any, it comes from the unknown side alone: the
split-conformal quantile, the ⌈(n+1)·q⌉-th smallest of n unknown closeness values, below which a new question
about an unknown failure falls with probability at least q when it resembles them. Too few pairs for that
quantile (n < q / (1 − q)): nothing is called a known fix yet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resolver_core.grounding import calibrate_threshold, closeness_of
from resolver_core.manifest import NEVER_CLOSE, Calibration, CalibrationMethod, Closeness
from resolver_core.retrieval import SimilarPairs
from resolver_core.validation import normalize

LEAVE_ONE_OUT_LIMIT = 1000  # pairs searched among the others at most (a seeded sample beyond)
NEIGHBOURS = 5  # evidence kept per search: closeness needs the top two


@dataclass(frozen=True)
class Probe:
    """One calibration question, reduced to what the threshold needs."""

    closeness: float
    known: bool
    source: str  # "leave_one_out" (a team pair), "feedback" (a pair from VM2's feedback), "questions" (the file)


def same_fix_groups(pairs: Sequence[dict[str, Any]]) -> list[frozenset[int]]:
    """For each pair (by position), the positions of the pairs carrying the same fix, itself included."""
    fixes = [normalize(pair["resolution"]) for pair in pairs]
    by_fix: dict[str, set[int]] = {}
    for position, fix in enumerate(fixes):
        by_fix.setdefault(fix, set()).add(position)
    return [frozenset(by_fix[fix]) for fix in fixes]


def leave_one_out_probes(
    index: SimilarPairs, pairs: Sequence[dict[str, Any]], closeness: Closeness, seed: int = 0
) -> list[Probe]:
    """Each pair of the index (at most LEAVE_ONE_OUT_LIMIT, a seeded sample) asked by its issue among the others:
    known when another pair carries its fix. `pairs` are the index's pairs as stored (their `source` tells a
    feedback pair)."""
    positions = list(range(len(index)))
    if len(positions) > LEAVE_ONE_OUT_LIMIT:
        positions = sorted(random.Random(f"{seed}:leave-one-out").sample(positions, LEAVE_ONE_OUT_LIMIT))
    groups = same_fix_groups(index.pairs)
    found = index.search_left_out(positions, NEIGHBOURS)
    return [
        Probe(
            closeness_of(similar, closeness),
            known=len(groups[position]) > 1,
            source="feedback" if pairs[position].get("source") == "feedback" else "leave_one_out",
        )
        for position, similar in zip(positions, found, strict=True)
    ]


def conformal_threshold(unknown: Sequence[float], min_false_on_unknown: float) -> float:
    """The ⌈(n+1)·q⌉-th smallest unknown closeness (q = min_false_on_unknown); NEVER_CLOSE when n is too small."""
    rank = math.ceil((len(unknown) + 1) * min_false_on_unknown - 1e-9)
    if rank > len(unknown):
        return NEVER_CLOSE
    return sorted(unknown)[max(rank, 1) - 1]


def calibrate(probes: Sequence[Probe], min_false_on_unknown: float) -> Calibration:
    """The version's threshold and how it was reached (recorded in its manifest)."""
    known = [p.closeness for p in probes if p.known]
    unknown = [p.closeness for p in probes if not p.known]
    method: CalibrationMethod
    if known and unknown:
        threshold, method = calibrate_threshold(known, unknown, min_false_on_unknown), "known_and_unknown"
    elif unknown:
        threshold, method = conformal_threshold(unknown, min_false_on_unknown), "unknown_quantile"
    else:  # nothing to tell known from unknown questions by
        threshold, method = NEVER_CLOSE, "none"
    return Calibration(
        method=method,
        known_fix_threshold=threshold,
        min_false_on_unknown=min_false_on_unknown,
        **{
            f"{side}_{source}": _count(probes, side == "known", source)
            for side in ("known", "unknown")
            for source in ("leave_one_out", "feedback", "questions")
        },
    )


def _count(probes: Sequence[Probe], known: bool, source: str) -> int:
    return sum(p.known == known and p.source == source for p in probes)
