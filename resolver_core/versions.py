"""The model versions in MODELS_DIR, summarised once for `make versions` and VM1's page (GET /versions):
lineage, pair counts, evaluation figures, aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver_core import registry
from resolver_core.manifest import GroupScores, Manifest


def version_summaries(models_dir: Path) -> list[dict[str, Any]]:
    """Newest first; a version whose manifest cannot be read is listed with the error."""
    by_version: dict[str, list[str]] = {}
    for alias, version in registry.aliases(models_dir).items():
        by_version.setdefault(version, []).append(alias)
    return [
        _summary(models_dir, v, sorted(by_version.get(v, []))) for v in reversed(registry.list_versions(models_dir))
    ]


def _summary(models_dir: Path, version: str, aliases: list[str]) -> dict[str, Any]:
    try:
        manifest = registry.read_manifest(models_dir / version)
    except registry.RegistryError as error:
        return {"version": version, "aliases": aliases, "error": str(error)}
    data, scores, reworded = manifest.dataset, manifest.metrics.eval, manifest.metrics.reworded
    known, unknown = (reworded.known, reworded.unknown) if reworded else (GroupScores(), GroupScores())
    return {
        "version": version,
        "parent": manifest.parent,
        "created_at": manifest.created_at,
        "aliases": aliases,
        "pairs": data.total,
        "new_pairs": data.new,
        "from_feedback": data.from_feedback,
        "eval_loss": scores.get("eval_loss"),
        "eval_token_f1": scores.get("token_f1"),
        "eval_rouge_l": scores.get("rouge_l"),
        "known_served_f1": known.served_f1,
        "unknown_served_f1": unknown.served_f1,
        "hit_at_1": known.hit_at_1,
        **_calibration(manifest),
    }


def _calibration(manifest: Manifest) -> dict[str, Any]:
    calibration = manifest.grounding.calibration
    return {
        "known_fix_threshold": manifest.grounding.known_fix_threshold,
        "calibration_method": calibration.method if calibration else None,
        "calibration_known": calibration.known if calibration else None,
        "calibration_unknown": calibration.unknown if calibration else None,
        "calibration_warning": calibration.warning() if calibration else None,
    }
