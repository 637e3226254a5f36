"""torchrun with 2 CPU processes (gloo) trains the adapter one process trains over the same global batches, and
only rank 0 publishes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from resolver_core.store import SqlitePairStore
from tests.conftest import REWORDED_QUESTIONS
from tests.servers import REPO_ROOT, service_env
from tests.training_pairs import PAIRS

RECIPE = {"TRAIN_EPOCHS": "2", "TRAIN_BATCH_SIZE": "4", "TRAIN_DTYPE": "float32", "TRAIN_EVAL_ANSWERED": "2"}


def _train(root: Path, data_dir: Path, base_model_path: Path, launcher: list[str]) -> Path:
    env = service_env(
        {
            "DATA_DIR": str(data_dir),
            "MODELS_DIR": str(root / "models"),
            "TRAIN_WORK_DIR": str(root / "work"),
            "BASE_MODEL_PATH": str(base_model_path),
            "TRAIN_EVAL_QUESTIONS": str(REWORDED_QUESTIONS),
            "LOG_FORMAT": "text",
            **RECIPE,
        }
    )
    command = [*launcher, "-m", "trainer", "train", "--no-progress"]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    published = [p for p in (root / "models").iterdir() if p.name[0].isdigit()]
    assert len(published) == 1, published  # one version, however many processes trained it
    return published[0]


def test_two_processes_train_the_single_process_adapter(tmp_path: Path, base_model_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = SqlitePairStore.in_data_dir(data_dir)
    for issue, resolution in PAIRS[:12]:
        store.add(issue, resolution, submitted_by="fixture")
    single = _train(tmp_path / "single", data_dir, base_model_path, [sys.executable])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    double = _train(tmp_path / "double", data_dir, base_model_path, torchrun)

    one, two = (load_file(folder / "adapter_model.safetensors") for folder in (single, double))
    assert one.keys() == two.keys()
    trained = [name for name in one if "lora_B" in name]
    assert trained and all(one[name].abs().max() > 0 for name in trained)  # it did learn something
    # Float tolerance: the sums run in another order (and on other thread counts), and AdamW amplifies that for
    # the few weights whose gradients are ~0, so compare whole tensors and the typical element.
    for name in one:
        relative = (one[name] - two[name]).norm() / one[name].norm()
        assert relative < 1e-3, (name, float(relative))
    elementwise = torch.cat([((one[n] - two[n]).abs() / (one[n].abs() + 1e-8)).flatten() for n in one])
    assert elementwise.median() < 1e-5
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (single, double)]
    assert [m["training"]["world_size"] for m in manifests] == [1, 2]
    assert manifests[0]["training"]["real_tokens"] == manifests[1]["training"]["real_tokens"]
    assert manifests[0]["dataset"] == manifests[1]["dataset"]
