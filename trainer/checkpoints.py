"""The work folder of an unfinished run (outside models/): its plan and resumable checkpoints.

Layout::

    TRAIN_WORK_DIR/
      lock                 flock: one training run at a time
      run/plan.json        what the run trains (key, batches, pair ids, metrics measured before training)
      run/checkpoints/LATEST  name of the newest complete checkpoint
      run/checkpoints/step-000040/  adapter.safetensors, optimizer.pt, state.pt

A checkpoint folder is written under a temporary name and renamed, then LATEST is replaced atomically, so a
kill -9 at any moment leaves either the previous checkpoint or the new one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from resolver_core.files import write_atomically
from trainer.precision import MasterWeights

log = logging.getLogger(__name__)


class TrainingBusy(RuntimeError):
    """Another training run holds the work folder's lock."""


@contextmanager
def exclusive_run(work_dir: Path) -> Iterator[None]:
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise TrainingBusy(f"another training run is using {work_dir}; wait for it to finish") from error
        yield


class RunFolder:
    def __init__(self, work_dir: Path) -> None:
        self.root = Path(work_dir) / "run"
        self.checkpoints = self.root / "checkpoints"

    def load_plan(self, key: str) -> dict[str, Any] | None:
        """The unfinished run's plan if it is the same run (same key); a different leftover run is discarded."""
        path = self.root / "plan.json"
        if not path.is_file():
            return None
        try:
            plan = json.loads(path.read_text())
        except ValueError:
            plan = {}
        if plan.get("key") == key:
            return plan
        log.warning("discarding an unfinished run with a different plan", extra={"work_dir": str(self.root)})
        self.clear()
        return None

    def save_plan(self, plan: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.root / "plan.json", json.dumps(plan).encode())

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def save_checkpoint(self, masters: MasterWeights, optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
        name = f"step-{state['step']:06d}"
        final = self.checkpoints / name
        partial = self.checkpoints / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        save_file(masters.state_dict(), partial / "adapter.safetensors")
        torch.save(optimizer.state_dict(), partial / "optimizer.pt")
        torch.save(
            {"scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(), "state": state},
            partial / "state.pt",
        )
        for path in partial.iterdir():
            _fsync_file(path)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(partial, final)
        write_atomically(self.checkpoints / "LATEST", name.encode())
        for old in self.checkpoints.glob("step-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def load_checkpoint(self, masters: MasterWeights, optimizer: Any, scheduler: Any) -> dict[str, Any] | None:
        """Restore LoRA weights, optimizer, scheduler and RNG; return the saved loop state (None: start at step 0)."""
        latest = self.checkpoints / "LATEST"
        if not latest.is_file():
            return None
        folder = self.checkpoints / latest.read_text().strip()
        try:
            masters.load_state_dict(load_file(folder / "adapter.safetensors"))
        except ValueError as error:
            raise RuntimeError(f"checkpoint {folder}: {error}; delete {self.root} to start over") from error
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
        saved = torch.load(folder / "state.pt", weights_only=True)
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        return saved["state"]


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
