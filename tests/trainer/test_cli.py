"""`python -m trainer`: help for every command, base-model checks, versions and promote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resolver_core import registry
from tests.servers import REPO_ROOT, service_env


def trainer_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args], cwd=REPO_ROOT, env=service_env(env), capture_output=True, text=True
    )


@pytest.mark.parametrize("command", [[], ["base-model"], ["train"], ["versions"], ["promote"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = trainer_cli(*command, "--help")
    assert result.returncode == 0 and "usage: python -m trainer" in result.stdout


def test_train_help_lists_the_start_modes_and_recipe_flags() -> None:
    text = trainer_cli("train", "--help").stdout
    for flag in ("--full", "--from", "--epochs", "--lr", "--lora-r", "--replay-ratio"):
        assert flag in text


def test_base_model_check_names_the_problem_and_the_fix(tmp_path: Path) -> None:
    result = trainer_cli("base-model", BASE_MODEL_PATH=str(tmp_path / "nowhere"), LOG_FORMAT="text")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "make base-model" in result.stderr


def test_base_model_prints_the_fingerprint_of_a_custom_folder(base_model_path: Path) -> None:
    result = trainer_cli("base-model", BASE_MODEL_PATH=str(base_model_path))
    assert result.returncode == 0
    assert '"sha256"' in result.stdout and "model.safetensors" in result.stdout


def test_versions_and_promote(trained_registry, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_registry.models_dir, models)
    listing = trainer_cli("versions", MODELS_DIR=str(models))
    assert listing.returncode == 0 and trained_registry.version in listing.stdout and "latest" in listing.stdout
    promoted = trainer_cli("promote", trained_registry.version, "--reason", "smoke-tested", MODELS_DIR=str(models))
    assert promoted.returncode == 0
    assert registry.read_alias(models, "promoted") == trained_registry.version
    assert registry.alias_history(models)[-1]["reason"] == "smoke-tested"
    unknown = trainer_cli("promote", "20000101T000000Z", MODELS_DIR=str(models))
    assert unknown.returncode == 2 and "unknown version" in unknown.stderr


def test_promote_refuses_a_version_that_answers_reworded_questions_worse_unless_forced(
    trained_registry, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_registry.models_dir, models)
    assert trainer_cli("promote", trained_registry.version, MODELS_DIR=str(models)).returncode == 0
    worse = "20991231T235959Z"  # a later version whose served answers scored lower on the same questions
    shutil.copytree(models / trained_registry.version, models / worse)
    manifest_path = models / worse / registry.MANIFEST_NAME
    manifest_path.chmod(0o644)
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = worse
    manifest["metrics"]["reworded"]["known"]["served_f1"] -= 0.2
    manifest_path.write_text(json.dumps(manifest))
    refused = trainer_cli("promote", worse, MODELS_DIR=str(models))
    assert refused.returncode == 1 and "answers worse" in refused.stderr and "--force" in refused.stderr
    assert registry.read_alias(models, "promoted") == trained_registry.version
    forced = trainer_cli("promote", worse, "--force", MODELS_DIR=str(models))
    assert forced.returncode == 0 and registry.read_alias(models, "promoted") == worse
    listing = trainer_cli("versions", MODELS_DIR=str(models)).stdout
    assert "known-F1" in listing and "hit@1" in listing
