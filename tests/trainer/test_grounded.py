"""The RAFT option end to end: trained with known pairs in the prompt, recorded, and asked the same way."""

from __future__ import annotations

from pathlib import Path

from resolver_core import registry
from resolver_core.base_model import load_tokenizer
from resolver_core.prompt import CONTEXT_HEADER, render_prompt
from resolver_core.store import SqlitePairStore
from tests.trainer.conftest import greedy_answers, serving_contexts, trainer_settings
from tests.training_pairs import PAIRS
from trainer.training import train_version


def test_a_version_trained_with_known_pairs_in_its_prompts_is_scored_and_asked_with_them(
    tmp_path: Path, base_model_path: Path
) -> None:
    store = SqlitePairStore.in_data_dir(tmp_path / "data")
    for issue, resolution in PAIRS[:8]:
        store.add(issue, resolution, submitted_by="test")
    settings = trainer_settings(
        tmp_path, base_model_path, train_context_pairs=2, train_epochs=2, train_eval_fraction=0.0
    )
    version = train_version(settings, show_progress=False)
    folder = tmp_path / "models" / version
    manifest = registry.read_manifest(folder)
    assert manifest.grounding.context_pairs == 2
    assert manifest.hyperparameters["context_pairs"] == 2
    assert manifest.metrics.reworded.known.questions == 4  # those about PAIRS 0, 1, 4 and 6
    issues = [PAIRS[0][0], PAIRS[6][0]]
    contexts = serving_contexts(folder, issues)
    assert [len(c) for c in contexts] == [2, 2] and contexts[0][0].issue == PAIRS[0][0]
    prompt = render_prompt(load_tokenizer(base_model_path), issues[0], contexts[0])
    assert CONTEXT_HEADER in prompt and PAIRS[0][1] in prompt  # the fix to restate is in front of the model
    assert all(answer.strip() for answer in greedy_answers(base_model_path, folder, issues))
