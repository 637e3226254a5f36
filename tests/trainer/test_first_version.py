"""The first version (the shared `trained_registry` fixture): loss, manifest, checksums, plain-peft loading."""

from __future__ import annotations

import hashlib
import json

import torch

from resolver_core import registry
from resolver_core.base_model import fingerprint, load_base_model, load_tokenizer
from resolver_core.manifest import SCHEMA_VERSION
from resolver_core.prompt import encode_prompt, end_of_turn_id, template_fingerprint
from resolver_core.wording import QUOTED_BONUS
from tests.trainer.conftest import greedy_answers, serving_contexts
from trainer.answering import MAX_NEW_TOKENS

MANIFEST_SECTIONS = {
    "version",
    "parent",
    "mode",
    "created_at",
    "base_model",
    "tokenizer",
    "dataset",
    "hyperparameters",
    "metrics",
    "training",
    "software",
    "files",
    "grounding",
}


def test_training_loss_goes_down(trained_registry) -> None:
    metrics = registry.read_manifest(trained_registry.models_dir / trained_registry.version).metrics
    assert metrics.train_loss_last < metrics.train_loss_first / 5
    history = metrics.train_loss_history
    assert sum(history[-3:]) < sum(history[:3])


def test_manifest_is_complete_and_every_checksum_verifies(trained_registry) -> None:
    folder = trained_registry.models_dir / trained_registry.version
    raw = json.loads((folder / registry.MANIFEST_NAME).read_text())
    assert set(raw) >= MANIFEST_SECTIONS and raw["schema_version"] == SCHEMA_VERSION
    manifest = registry.read_manifest(folder)
    assert manifest.version == trained_registry.version and manifest.parent is None
    assert manifest.base_model.sha256 == fingerprint(trained_registry.base_model_path)["sha256"]
    tokenizer = load_tokenizer(trained_registry.base_model_path)
    assert manifest.tokenizer.template_sha256 == template_fingerprint(tokenizer)
    data = manifest.dataset
    assert data.total == len(trained_registry.pairs) == data.new + data.eval
    assert data.max_pair_id == max(p["id"] for p in trained_registry.pairs)
    assert data.sha256 == hashlib.sha256((folder / "issues_resolutions.json").read_bytes()).hexdigest()
    snapshot = json.loads((folder / "issues_resolutions.json").read_text())
    assert snapshot == [{"issue": p["issue"], "resolution": p["resolution"]} for p in trained_registry.pairs]
    assert {"lora_r", "lora_alpha", "learning_rate", "epochs", "batch_size"} <= set(manifest.hyperparameters)
    for scores in (manifest.metrics.eval, manifest.metrics.before("base")):
        assert {"eval_loss", "token_f1", "rouge_l"} <= set(scores)
    assert {"python", "torch", "transformers", "peft"} <= set(manifest.software)
    grounding = manifest.grounding
    assert grounding.context_pairs == 0 and grounding.answer_policy in {"model", "top_known_fix"}
    reworded = manifest.metrics.reworded
    assert reworded.file.endswith("reworded_questions.json") and len(reworded.sha256) == 64
    assert reworded.known.questions == 10 and reworded.unknown.questions == 6  # all 16 answered
    assert reworded.answered == 16 and reworded.known.retrieval_questions == 10
    assert grounding.far_policy in {"model", "top_known_fix"}
    assert reworded.threshold_calibrated and grounding.known_fix_threshold == reworded.known_fix_threshold
    for group in (reworded.known, reworded.unknown):
        assert None not in (group.answer_f1, group.answer_rouge_l, group.top_fix_f1, group.served_f1)
    assert None not in (reworded.known.hit_at_1, reworded.known.hit_at_3)
    files = {"adapter_config.json", "adapter_model.safetensors", "issues_resolutions.json"}
    assert set(manifest.files) == files | ({manifest.gguf.file} if manifest.gguf else set())  # the GGUF where made
    assert registry.verify_checksums(folder) == []
    assert all((folder / name).stat().st_mode & 0o222 == 0 for name in manifest.files)  # published read-only
    assert registry.read_alias(trained_registry.models_dir, "latest") == trained_registry.version


def test_whole_logs_are_scored_and_calibrate_the_log_threshold(trained_registry) -> None:
    """tests/log_excerpts.json: failures of the fixture's pairs and others, each buried in a made job log."""
    manifest = registry.read_manifest(trained_registry.models_dir / trained_registry.version)
    logs = manifest.metrics.logs
    assert logs.file.endswith("log_excerpts.json") and len(logs.sha256) == 64 and logs.logs == 14
    assert logs.known >= 4 and logs.unknown >= 8 and logs.known + logs.unknown == 14  # held-out pairs are unknown
    assert logs.threshold_from == "logs" and manifest.grounding.log_known_fix_threshold == logs.known_fix_threshold
    assert manifest.grounding.log_quoted_bonus == QUOTED_BONUS  # the threshold was calibrated with it
    assert logs.signature_recall >= 0.85 and logs.hit_at_1 >= 0.75
    assert logs.known_fix.false_on_unknown >= 0.85 and logs.known_fix.precision >= 0.75


def test_adapter_loads_with_plain_peft_and_names_the_base_by_its_logical_id(trained_registry) -> None:
    from peft import PeftConfig, PeftModel

    folder = trained_registry.models_dir / trained_registry.version
    config = PeftConfig.from_pretrained(str(folder))
    assert config.base_model_name_or_path == trained_registry.base_model_path.name  # not this machine's path
    model = PeftModel.from_pretrained(load_base_model(trained_registry.base_model_path, torch.float32), str(folder))
    lora_weights = [p for name, p in model.named_parameters() if "lora_B" in name]
    assert lora_weights and all(p.dtype == torch.float32 for p in lora_weights)
    assert any(p.abs().sum() > 0 for p in lora_weights)


def test_greedy_generation_reproduces_a_trained_resolution_and_stops(trained_registry) -> None:
    from peft import PeftModel

    pairs = trained_registry.trained_pairs[:4]
    folder = trained_registry.models_dir / trained_registry.version
    answers = greedy_answers(trained_registry.base_model_path, folder, [p["issue"] for p in pairs])
    assert answers == [p["resolution"] for p in pairs]
    tokenizer = load_tokenizer(trained_registry.base_model_path)
    model = PeftModel.from_pretrained(load_base_model(trained_registry.base_model_path, torch.float32), str(folder))
    context = serving_contexts(folder, [pairs[0]["issue"]])[0]  # none with the default recipe
    prompt = torch.tensor([encode_prompt(tokenizer, pairs[0]["issue"], context)])
    eot = end_of_turn_id(tokenizer)
    output = model.eval().generate(input_ids=prompt, max_new_tokens=64, do_sample=False, eos_token_id=eot)
    new_tokens = output[0, prompt.shape[1] :].tolist()
    assert new_tokens[-1] == eot and len(new_tokens) < 64  # it stopped by itself, right after the answer
    assert tokenizer.decode(new_tokens[:-1]).strip() == pairs[0]["resolution"]


def test_recorded_answers_are_the_ones_vm2s_engine_gives(trained_registry) -> None:
    """A version is scored through the serving engine over its published adapter: what the manifest records is
    what VM2 answers (same merge, same engine, the recorded dtype)."""
    from decoding.build import EngineOptions, build_engine, build_llamacpp_engine, merged_model
    from decoding.gguf import GGUF_FILE
    from decoding.protocol import GenerationRequest

    folder = trained_registry.models_dir / trained_registry.version
    manifest = registry.read_manifest(folder)
    reworded = manifest.metrics.reworded
    assert len(reworded.samples) == 3
    tokenizer = load_tokenizer(trained_registry.base_model_path)
    if manifest.gguf is not None:  # scored by llama.cpp over the version's GGUF: what VM2 serves it with by default
        assert reworded.answered_dtype == manifest.gguf.quantization == "q8_0"
        agreement = manifest.gguf.agreement  # the torch engine answered the same questions
        assert agreement.questions == reworded.answered and 0 < agreement.token_agreement <= 1
        assert agreement.known_answer_f1 == reworded.known.answer_f1 and agreement.torch_known_answer_f1 is not None
        options = EngineOptions(torch.float32, 1, 1024, draft_tokens=0, queue_size=4)
        engine, _ = build_llamacpp_engine(folder / GGUF_FILE, tokenizer, options, threads=torch.get_num_threads())
    else:
        assert reworded.answered_dtype in {"float32", "bfloat16"}
        options = EngineOptions(getattr(torch, reworded.answered_dtype), 1, 1024, draft_tokens=0, queue_size=4)
        engine, _ = build_engine(merged_model(trained_registry.base_model_path, folder), tokenizer, options)
    try:
        queries = [sample["query"] for sample in reworded.samples]
        eot = end_of_turn_id(tokenizer)
        for query, context, sample in zip(queries, serving_contexts(folder, queries), reworded.samples, strict=True):
            tokens = engine.generate(
                GenerationRequest(encode_prompt(tokenizer, query, context), MAX_NEW_TOKENS)
            ).token_ids
            assert (
                tokenizer.decode([t for t in tokens if t != eot], skip_special_tokens=True).strip() == sample["answer"]
            )
    finally:
        engine.stop()
