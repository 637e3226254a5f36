"""Publishing a trained version: its files built in a hidden staging folder, then made visible at once."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from decoding.gguf import GGUF_FILE
from resolver_core import registry
from resolver_core.base_model import base_model_id
from resolver_core.manifest import Manifest
from resolver_core.pairs_file import PAIRS_FILE_NAME, write_pairs
from trainer import manifest_sections as manifests
from trainer.data import DatasetPlan

__all__ = ["publish"]

log = logging.getLogger(__name__)


def publish(
    models_dir: Path,
    model: Any,
    plan: DatasetPlan,
    manifest: Manifest,
    base_path: Path,
    mode: str,
    gguf_file: Path | None,
) -> str:
    """Build the version in a hidden staging folder, then make it visible with one rename and move `latest`."""
    version = manifest.version
    staging = registry.staging_dir(models_dir, version)
    staging.mkdir(parents=True)
    model.save_pretrained(str(staging), save_embedding_layers=False)  # no hub lookup of the logical base id
    (staging / "README.md").unlink(missing_ok=True)  # peft's model-card stub: not part of the version
    config_path = staging / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = base_model_id(base_path)  # a logical id, not this machine's path
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True))
    write_pairs(staging / PAIRS_FILE_NAME, plan.snapshot)
    if gguf_file is not None:
        shutil.move(gguf_file, staging / GGUF_FILE)
    registry.write_manifest(staging, manifest.model_copy(update={"created_at": manifests.utc_timestamp()}))
    registry.publish_version(models_dir, version)
    registry.set_alias(models_dir, "latest", version, reason=f"trained ({mode}, parent {manifest.parent})")
    log.info("version published", extra={"version": version, "path": str(models_dir / version)})
    return version
