"""kill -9 in the middle of `python -m trainer train`: the next run resumes from the checkpoint and completes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from resolver_core import registry
from resolver_core.store import SqlitePairStore
from tests.servers import REPO_ROOT, service_env
from tests.training_pairs import PAIRS

TRAIN_ARGS = ["--no-progress", "--epochs", "4", "--batch-size", "4", "--checkpoint-steps", "2", "--eval-fraction", "0"]


def start_training(root: Path, base_model_path: Path) -> subprocess.Popen:
    env = service_env(
        {
            "DATA_DIR": str(root / "data"),
            "MODELS_DIR": str(root / "models"),
            "TRAIN_WORK_DIR": str(root / "work"),
            "BASE_MODEL_PATH": str(base_model_path),
        }
    )
    log = open(root / "train.log", "ab")  # noqa: SIM115 - the child writes to it until it exits
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", *TRAIN_ARGS], cwd=REPO_ROOT, env=env, stdout=log, stderr=log
    )


def watch_for_partial_versions(models: Path, seen: list[str], stop: threading.Event) -> None:
    """Any visible version folder must already be complete (it appears by one rename, manifest included)."""
    while not stop.is_set():
        for name in registry.list_versions(models):
            if not (models / name / "manifest.json").is_file():
                seen.append(name)
        time.sleep(0.02)


def test_kill_9_mid_training_then_rerun_resumes_from_the_checkpoint(tmp_path: Path, base_model_path: Path) -> None:
    store = SqlitePairStore.in_data_dir(tmp_path / "data")
    for issue, resolution in PAIRS[:8]:
        store.add(issue, resolution, submitted_by="test")
    models, latest = tmp_path / "models", tmp_path / "work" / "run" / "checkpoints" / "LATEST"
    partial: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_for_partial_versions, args=(models, partial, stop), daemon=True)
    watcher.start()

    first = start_training(tmp_path, base_model_path)
    deadline = time.monotonic() + 240
    while not latest.is_file() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert latest.is_file(), (tmp_path / "train.log").read_text()[-3000:]
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    checkpoint = latest.parent / latest.read_text().strip()
    assert {p.name for p in checkpoint.iterdir()} == {"adapter.safetensors", "optimizer.pt", "state.pt"}
    assert registry.list_versions(models) == []

    second = start_training(tmp_path, base_model_path)
    assert second.wait(timeout=300) == 0, (tmp_path / "train.log").read_text()[-3000:]
    stop.set()
    watcher.join()
    assert partial == []
    versions = registry.list_versions(models)
    assert len(versions) == 1
    manifest = registry.read_manifest(models / versions[0])
    assert manifest.training.resumed_from_step >= 2
    assert manifest.training.steps == manifest.hyperparameters["steps"] == 8
    assert len(manifest.metrics.train_loss_history) == 8  # steps before the kill are kept, none repeated
    assert registry.verify_checksums(models / versions[0]) == []
    assert not (tmp_path / "work" / "run").exists()  # the finished run's checkpoints are gone
    assert not list(models.glob(".staging.*"))
    log_lines = [json.loads(line) for line in (tmp_path / "train.log").read_text().splitlines() if line.startswith("{")]
    assert any(line["msg"] == "resuming an interrupted run" for line in log_lines)
