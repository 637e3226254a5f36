"""Runs the trainer refuses, with a message saying what to do: another base model, another run in progress."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from resolver_core import registry
from resolver_core.base_model import BaseModelError
from resolver_core.store import SqlitePairStore
from tests.trainer.conftest import trainer_settings
from trainer.checkpoints import TrainingBusy, exclusive_run
from trainer.training import train_version


def copy_registry(trained_registry, root: Path) -> None:
    shutil.copytree(trained_registry.models_dir, root / "models")
    shutil.copytree(trained_registry.data_dir, root / "data")
    SqlitePairStore.in_data_dir(root / "data").add(
        "Nightly job fails: disk quota exceeded", "Clean the workspace first.", "t"
    )


def test_continuing_a_version_trained_on_another_base_is_refused(trained_registry, tmp_path: Path) -> None:
    copy_registry(trained_registry, tmp_path)
    manifest_path = tmp_path / "models" / trained_registry.version / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["base_model"]["files"]["model.safetensors"] = "0" * 64
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BaseModelError, match=r"another base model.*--full"):
        train_version(trainer_settings(tmp_path, trained_registry.base_model_path), show_progress=False)
    assert registry.list_versions(tmp_path / "models") == [trained_registry.version]


def test_a_second_concurrent_run_is_refused(trained_registry, tmp_path: Path) -> None:
    copy_registry(trained_registry, tmp_path)
    settings = trainer_settings(tmp_path, trained_registry.base_model_path)
    with exclusive_run(settings.train_work_dir), pytest.raises(TrainingBusy, match="another training run"):
        train_version(settings, show_progress=False)
