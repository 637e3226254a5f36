"""The trainer's sections of a version's manifest (resolver_core.manifest): data, metrics, grounding, software."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from resolver_core.grounding import Grounding
from resolver_core.manifest import DatasetInfo, GroundingInfo, LogScores, Metrics
from resolver_core.pairs_file import dump_pairs
from resolver_core.wording import QUOTED_BONUS
from trainer.data import DatasetPlan

LIBRARIES = ("torch", "transformers", "peft", "safetensors", "tokenizers", "accelerate")


def dataset_sha256(pairs: list[dict[str, Any]]) -> str:
    """sha256 of the snapshot file's bytes (issues_resolutions.json in the version folder)."""
    return hashlib.sha256(dump_pairs(pairs)).hexdigest()


def dataset_section(plan: DatasetPlan, replayed: list[dict[str, Any]], file_name: str) -> DatasetInfo:
    return DatasetInfo(
        file=file_name,
        sha256=dataset_sha256(plan.snapshot),
        total=len(plan.snapshot),
        trained=len(plan.new) + len(replayed),
        new=len(plan.new),
        replayed=len(replayed),
        eval=len(plan.eval),
        from_feedback=sum(p.get("source") == "feedback" for p in plan.snapshot),
        new_from_feedback=sum(p.get("source") == "feedback" for p in plan.new),
        max_pair_id=plan.max_pair_id,
        pair_ids=[p["id"] for p in plan.snapshot],
        new_pair_ids=[p["id"] for p in plan.new],
        replayed_pair_ids=[p["id"] for p in replayed],
        eval_pair_ids=[p["id"] for p in plan.eval],
    )


def metrics_section(
    losses: list[float],
    after: dict[str, Any],
    before: dict[str, Any],
    before_name: str,
    reworded: dict[str, Any],
    logs: LogScores | None = None,
) -> Metrics:
    tail = losses[-max(1, len(losses) // 10) :]
    return Metrics.model_validate(
        {
            "train_loss_first": losses[0] if losses else None,
            "train_loss_last": round(sum(tail) / len(tail), 4) if tail else None,
            "train_loss_history": losses,
            "eval": after,
            before_name: before,
            f"change_vs_{before_name}": comparison(after, before),
            "reworded": reworded,
            "logs": logs,
        }
    )


def served_grounding(context_pairs: int, reworded: dict[str, Any]) -> Grounding:
    """The grounding VM2 will serve the version with, from its reworded-question scores."""
    return Grounding(
        context_pairs,
        reworded["known_fix_threshold"],
        reworded["answer_policy"],
        reworded["far_policy"],
        reworded["closeness"],
    )


def log_grounding(context_pairs: int, reworded: dict[str, Any]) -> Grounding:
    """The same for whole logs, before their own threshold is calibrated: a pair whose wording the failure quotes
    scores QUOTED_BONUS more (resolver_core.wording)."""
    return replace(served_grounding(context_pairs, reworded), quoted_bonus=QUOTED_BONUS)


def grounding_section(
    context_pairs: int, reworded: dict[str, Any], retrieval: str, logs: LogScores | None = None
) -> GroundingInfo:
    """What serving needs to ground answers as this version was trained and scored (resolver_core.grounding),
    including the retrieval the threshold was calibrated with (serving searches the same way)."""
    return GroundingInfo(
        retrieval=retrieval,  # type: ignore[arg-type]
        context_pairs=context_pairs,
        closeness=reworded["closeness"],
        known_fix_threshold=reworded["known_fix_threshold"],
        threshold_calibrated=reworded["threshold_calibrated"],
        min_false_on_unknown=reworded["min_false_on_unknown"],
        answer_policy=reworded["answer_policy"],
        far_policy=reworded["far_policy"],
        calibration=reworded["calibration"],
        log_known_fix_threshold=logs.known_fix_threshold if logs and logs.threshold_from == "logs" else None,
        log_quoted_bonus=logs.quoted_bonus if logs and logs.threshold_from == "logs" else 0.0,
    )


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def comparison(after: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """after − before for each score (negative eval_loss delta = better)."""
    keys = ("eval_loss", "token_f1", "rouge_l", "exact_match")
    return {
        key: None if after.get(key) is None or before.get(key) is None else round(after[key] - before[key], 4)
        for key in keys
    }
