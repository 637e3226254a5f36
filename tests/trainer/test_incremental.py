"""A second run after new pairs continues from the first version; a third with nothing new writes nothing."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from resolver_core import registry
from resolver_core.store import SqlitePairStore
from tests.conftest import FIXTURE_PAIRS
from tests.trainer.conftest import greedy_answers, trainer_settings
from tests.training_pairs import PAIRS
from trainer.training import train_version

NEW_PAIRS = 5


@dataclass(frozen=True)
class IncrementalRun:
    root: Path
    parent: str
    version: str
    old_pairs: list[dict]
    new_pairs: list[dict]
    manifest: dict


@pytest.fixture(scope="module")
def incremental(trained_registry, tmp_path_factory: pytest.TempPathFactory) -> IncrementalRun:
    """A copy of the shared registry, 5 new pairs submitted, then `train` (continue from latest)."""
    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(trained_registry.models_dir, root / "models")
    shutil.copytree(trained_registry.data_dir, root / "data")
    store = SqlitePairStore.in_data_dir(root / "data")
    for issue, resolution in PAIRS[FIXTURE_PAIRS : FIXTURE_PAIRS + NEW_PAIRS]:
        store.add(issue, resolution, submitted_by="test")
    settings = trainer_settings(root, trained_registry.base_model_path)
    version = train_version(settings, show_progress=False)
    assert version
    new_pairs = [p for p in store.pairs_with_status("approved") if p["id"] > FIXTURE_PAIRS]
    return IncrementalRun(
        root,
        trained_registry.version,
        version,
        trained_registry.trained_pairs,
        new_pairs,
        registry.read_manifest(root / "models" / version),
    )


def test_incremental_run_sets_its_parent_and_trains_on_new_plus_rehearsed_pairs_only(incremental) -> None:
    manifest, data = incremental.manifest, incremental.manifest.dataset
    assert manifest.parent == incremental.parent and manifest.mode == "continue"
    assert data.new_pair_ids == [p["id"] for p in incremental.new_pairs]
    # default TRAIN_REPLAY_RATIO=0: every older trained pair is rehearsed; the parent's held-out pairs stay unseen
    assert data.replayed_pair_ids == [p["id"] for p in incremental.old_pairs]
    assert data.trained == NEW_PAIRS + len(incremental.old_pairs) < data.total == FIXTURE_PAIRS + NEW_PAIRS
    assert data.max_pair_id == FIXTURE_PAIRS + NEW_PAIRS
    assert manifest.hyperparameters["epochs_run"] == manifest.hyperparameters["incremental_epochs"]
    parent_manifest = registry.read_manifest(incremental.root / "models" / incremental.parent)
    # it starts from the parent's adapter: its first batch (old and new pairs) already scores better than the base
    assert manifest.metrics.train_loss_first < parent_manifest.metrics.train_loss_first
    assert registry.read_alias(incremental.root / "models", "latest") == incremental.version
    assert registry.verify_checksums(incremental.root / "models" / incremental.version) == []


def test_incremental_run_learns_the_new_pairs_and_forgets_none_of_the_old(incremental, base_model_path) -> None:
    pairs = incremental.new_pairs + incremental.old_pairs
    answers = greedy_answers(
        base_model_path, incremental.root / "models" / incremental.version, [p["issue"] for p in pairs]
    )
    wrong = [(p["resolution"], a) for p, a in zip(pairs, answers, strict=True) if a != p["resolution"]]
    assert wrong == []


def test_a_run_with_nothing_new_writes_nothing(incremental, base_model_path) -> None:
    models = incremental.root / "models"
    before = sorted(p.name for p in models.rglob("*"))
    history = registry.alias_history(models)
    assert train_version(trainer_settings(incremental.root, base_model_path), show_progress=False) is None
    assert sorted(p.name for p in models.rglob("*")) == before
    assert registry.alias_history(models) == history
