"""Which version a training run continues from, and the check that it was trained on the same base model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from resolver_core import registry
from resolver_core.base_model import BaseModelError, file_mismatches
from resolver_core.manifest import Manifest

Mode = Literal["continue", "full", "from"]


def choose_parent(models_dir: Path, mode: Mode, from_version: str | None) -> str | None:
    """continue: the `latest` alias (else the newest version, else none: a first run); from: that version."""
    if mode == "full":
        return None
    if mode == "from":
        if not from_version:
            raise ValueError("mode 'from' needs a version (or alias) to start from")
        return registry.resolve_version(models_dir, from_version)
    latest = registry.read_alias(models_dir, "latest")
    if latest and latest in registry.list_versions(models_dir):
        return latest
    versions = registry.list_versions(models_dir)
    return versions[-1] if versions else None


def check_same_base(base_print: dict[str, Any], parent: str, parent_manifest: Manifest, path: Path) -> None:
    """Continuing an adapter on another base model would train garbage: refuse, saying what to do."""
    recorded = parent_manifest.base_model.files if parent_manifest.base_model else {}
    differing = file_mismatches(base_print["files"], recorded)
    if differing:
        raise BaseModelError(
            f"version {parent} was trained on another base model than BASE_MODEL_PATH {path} (differs in "
            f"{'; '.join(differing[:3])}): point BASE_MODEL_PATH at that base, or retrain with --full"
        )
