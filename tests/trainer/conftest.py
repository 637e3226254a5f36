"""Trainer test helpers: settings on temp folders, greedy answers of a published version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver_core.pairs_file import PAIRS_FILE_NAME, read_pairs
from resolver_core.registry import read_manifest
from resolver_core.retrieval import Similar
from resolver_core.settings import TrainerSettings
from tests.conftest import FIXTURE_RECIPE, REWORDED_QUESTIONS


def trainer_settings(root: Path, base_model_path: Path, **overrides: Any) -> TrainerSettings:
    return TrainerSettings(
        _env_file=None,
        data_dir=root / "data",
        models_dir=root / "models",
        train_work_dir=root / "trainer-work",
        base_model_path=base_model_path,
        **{"train_eval_questions": REWORDED_QUESTIONS, **FIXTURE_RECIPE, **overrides},
    )


def greedy_answers(base_model_path: Path, version_dir: Path, issues: list[str]) -> list[str]:
    """How a consumer would load it: plain peft on the fp32 base, the shared generation helper, each issue beside
    the known pairs retrieval finds for it in the version's snapshot (as serving asks)."""
    import torch
    from peft import PeftModel

    from resolver_core.base_model import load_base_model, load_tokenizer
    from resolver_core.generation import generate_answers

    tokenizer = load_tokenizer(base_model_path)
    model = PeftModel.from_pretrained(load_base_model(base_model_path, torch.float32), str(version_dir)).eval()
    contexts = serving_contexts(version_dir, issues)
    answers: list[str] = []
    for start in range(0, len(issues), 8):
        end = start + 8
        answers += generate_answers(model, tokenizer, issues[start:end], 64, contexts[start:end])
    return answers


def serving_contexts(version_dir: Path, issues: list[str]) -> list[list[Similar]]:
    """The known pairs the inference service puts beside each issue for this version."""
    from resolver_core.embeddings import embedded_embedder
    from resolver_core.grounding import Grounding
    from resolver_core.retrieval import evidence_index

    manifest = read_manifest(version_dir)
    index = evidence_index(read_pairs(version_dir / PAIRS_FILE_NAME), manifest, embedded_embedder())
    context_pairs = Grounding.of_version(manifest.grounding).context_pairs
    return [index.search(issue, context_pairs) for issue in issues]
