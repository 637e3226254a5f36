"""Trainer test helpers: settings on temp folders, greedy answers of a published version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver_core.settings import TrainerSettings
from tests.conftest import FIXTURE_RECIPE


def trainer_settings(root: Path, base_model_path: Path, **overrides: Any) -> TrainerSettings:
    return TrainerSettings(
        _env_file=None,
        data_dir=root / "data",
        models_dir=root / "models",
        train_work_dir=root / "trainer-work",
        base_model_path=base_model_path,
        **{**FIXTURE_RECIPE, **overrides},
    )


def greedy_answers(base_model_path: Path, version_dir: Path, issues: list[str]) -> list[str]:
    """How a consumer would load it: plain peft on the fp32 base, the shared generation helper."""
    import torch
    from peft import PeftModel

    from resolver_core.base_model import load_base_model, load_tokenizer
    from resolver_core.generation import generate_answers

    tokenizer = load_tokenizer(base_model_path)
    model = PeftModel.from_pretrained(load_base_model(base_model_path, torch.float32), str(version_dir)).eval()
    answers: list[str] = []
    for start in range(0, len(issues), 8):
        answers += generate_answers(model, tokenizer, issues[start : start + 8], max_new_tokens=64)
    return answers
