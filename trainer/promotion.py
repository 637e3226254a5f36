"""The promotion gate: a version whose served answers score worse on the reworded questions than the promoted
version's does not become `promoted` unless forced."""

from __future__ import annotations

from typing import Any

TOLERANCE = 0.005  # greedy scores are deterministic; this only absorbs rounding


def served_scores(manifest: dict[str, Any]) -> dict[str, float]:
    reworded = (manifest.get("metrics") or {}).get("reworded") or {}
    return {
        group: reworded[group]["served_f1"]
        for group in ("known", "unknown")
        if (reworded.get(group) or {}).get("served_f1") is not None
    }


def promotion_problem(candidate: dict[str, Any], promoted: dict[str, Any]) -> str | None:
    """Why `candidate` must not replace `promoted`, or None. Versions scored on other question files (or not at
    all) are not compared: the caller says so."""
    mine, theirs = served_scores(candidate), served_scores(promoted)
    worse = [
        f"{group} questions {mine[group]:.3f} < {theirs[group]:.3f}"
        for group in sorted(set(mine) & set(theirs))
        if mine[group] < theirs[group] - TOLERANCE
    ]
    if not worse:
        return None
    return (
        f"version {candidate['version']} answers worse than promoted {promoted['version']} on reworded questions "
        f"(served token-F1: {'; '.join(worse)}); pass --force to promote it anyway"
    )


def comparable(candidate: dict[str, Any], promoted: dict[str, Any]) -> bool:
    """Both scored on the same question file."""
    sha = [((m.get("metrics") or {}).get("reworded") or {}).get("sha256") for m in (candidate, promoted)]
    return sha[0] is not None and sha[0] == sha[1]
