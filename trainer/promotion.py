"""The promotion gate: a version whose served answers score worse on the reworded questions than the promoted
version's does not become `promoted` unless forced."""

from __future__ import annotations

from resolver_core.manifest import Manifest

TOLERANCE = 0.005  # greedy scores are deterministic; this only absorbs rounding


def served_scores(manifest: Manifest) -> dict[str, float]:
    reworded = manifest.metrics.reworded
    if reworded is None:
        return {}
    groups = {"known": reworded.known.served_f1, "unknown": reworded.unknown.served_f1}
    return {group: score for group, score in groups.items() if score is not None}


def promotion_problem(candidate: Manifest, promoted: Manifest) -> str | None:
    """Why `candidate` must not replace `promoted`, or None. Versions scored on other question files (or not at
    all) are not compared: the caller says so. Like is compared with like: a candidate whose answers to known
    failures were never measured is not promoted over one whose were."""
    mine, theirs = served_scores(candidate), served_scores(promoted)
    if "known" in theirs and "known" not in mine:
        return (
            f"version {candidate.version} was scored on no reworded questions about its own pairs, promoted "
            f"{promoted.version} on {promoted.metrics.reworded.known.questions}: its answers to known failures are "
            "not measured (add TRAIN_EVAL_QUESTIONS or collect feedback and train again); pass --force to promote "
            "it anyway"
        )
    worse = [
        f"{group} questions {mine[group]:.3f} < {theirs[group]:.3f}"
        for group in sorted(set(mine) & set(theirs))
        if mine[group] < theirs[group] - TOLERANCE
    ]
    if not worse:
        return None
    return (
        f"version {candidate.version} answers worse than promoted {promoted.version} on reworded questions "
        f"(served token-F1: {'; '.join(worse)}); pass --force to promote it anyway"
    )


def comparable(candidate: Manifest, promoted: Manifest) -> bool:
    """Both scored on the same question file."""
    sha = [m.metrics.reworded.sha256 if m.metrics.reworded else None for m in (candidate, promoted)]
    return sha[0] is not None and sha[0] == sha[1]
