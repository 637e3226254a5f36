"""train_version: approved pairs → a new immutable version in MODELS_DIR (or None when nothing is new)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import torch

from decoding.decoder import UnsupportedModelError, check_supported
from resolver_core import registry
from resolver_core.base_model import BaseModelError, fingerprint, load_tokenizer
from resolver_core.calibration import leave_one_out_probes
from resolver_core.cpu import configure_threads, dtype_for
from resolver_core.embeddings import embedded_embedder
from resolver_core.grounding import CLOSENESS
from resolver_core.manifest import BaseFingerprint, Manifest, TokenizerInfo, TrainingInfo
from resolver_core.pairs_file import PAIRS_FILE_NAME
from resolver_core.prompt import encode_example, end_of_turn_id, template_fingerprint
from resolver_core.retrieval import EMBEDDED_KINDS, TFIDF, index_of_kind
from resolver_core.settings import TrainerSettings
from resolver_core.settings.recipe import Recipe
from resolver_core.store import TrainingPair, store_for
from trainer import manifest_sections as manifests
from trainer.answering import MAX_NEW_TOKENS, version_answerer
from trainer.checkpoints import RunFolder, exclusive_run
from trainer.contexts import training_contexts
from trainer.data import DatasetPlan, batch_plan, plan_dataset, replayed_pairs
from trainer.distributed import World, join_world
from trainer.evaluation import evaluate, score_reworded
from trainer.frozen_layers import frozen_bottom
from trainer.gguf_step import gguf_answerer
from trainer.lineage import Mode, check_same_base, choose_parent
from trainer.log_scores import score_logs
from trainer.loop import train_loop
from trainer.model import load_for_training, lora_hyperparameters
from trainer.publish import publish
from trainer.summary import render_summary

log = logging.getLogger(__name__)


def _approved_pairs(settings: TrainerSettings) -> list[TrainingPair]:
    store = store_for(settings)
    try:
        return store.pairs_with_status("approved")
    finally:
        store.close()


def train_version(
    settings: TrainerSettings,
    mode: Mode = "continue",
    from_version: str | None = None,
    show_progress: bool = True,
    world: World | None = None,
) -> str | None:
    """Train and publish a version; return its id, or None when there are no new approved pairs (and in every
    torchrun process but rank 0, which alone locks the work folder and publishes)."""
    world = world or join_world()
    try:
        with exclusive_run(Path(settings.train_work_dir)) if world.is_main else nullcontext():
            return _plan_and_train(settings, mode, from_version, show_progress and world.is_main, world)
    finally:
        world.leave()


def _plan_and_train(
    settings: TrainerSettings, mode: Mode, from_version: str | None, show_progress: bool, world: World
) -> str | None:
    models_dir = Path(settings.models_dir)
    if world.is_main:
        models_dir.mkdir(parents=True, exist_ok=True)
        registry.discard_staging(models_dir)  # leftovers of a run killed while publishing: never visible
    # Every process plans from what rank 0 read, so all of them train on the same batches.
    parent = world.from_main(choose_parent(models_dir, mode, from_version) if world.is_main else None)
    parent_manifest = registry.read_manifest(models_dir / parent) if parent else None
    recipe = Recipe.from_settings(settings)
    pairs = world.from_main(_approved_pairs(settings) if world.is_main else None)
    parent_ids = set(parent_manifest.dataset.pair_ids) if parent_manifest else None
    plan = plan_dataset(
        pairs, parent_ids, recipe.replay_ratio, recipe.eval_fraction, recipe.seed, recipe.new_pair_repeats
    )
    if not plan.new:
        since = f" since {parent} ({len(parent_ids or ())} pairs)" if parent else ""
        message = f"no new approved pairs{since}: nothing to train, no version written"
        log.info(message, extra={"parent": parent, "approved": len(pairs)})
        if show_progress:
            print(message, file=sys.stderr)
        return None
    base_print = fingerprint(settings.base_model_path)
    if parent_manifest:
        check_same_base(base_print, parent, parent_manifest, settings.base_model_path)
    return _train_and_publish(settings, recipe, mode, parent, plan, base_print, show_progress, world)


def _train_and_publish(
    settings: TrainerSettings,
    recipe: Recipe,
    mode: Mode,
    parent: str | None,
    plan: DatasetPlan,
    base_print: dict[str, Any],
    show_progress: bool,
    world: World,
) -> str | None:
    models_dir = Path(settings.models_dir)
    threads = configure_threads(settings.train_threads or max(1, len(os.sched_getaffinity(0)) // world.local_size))
    dtype = dtype_for(recipe.dtype, "TRAIN_DTYPE")
    tokenizer = load_tokenizer(settings.base_model_path)
    eot_id = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot_id
    contexts = training_contexts(
        plan.pool, plan.pool, recipe.context_pairs, recipe.context_own_probability, recipe.seed
    )
    examples = [
        encode_example(tokenizer, p["issue"], p["resolution"], recipe.max_seq_len, eot_id, known)
        for p, known in zip(plan.pool, contexts, strict=True)
    ]
    embedder = embedded_embedder() if settings.train_retrieval in EMBEDDED_KINDS else None
    kind = settings.train_retrieval if embedder else TFIDF  # no embedding wheel: TF-IDF (embedded_embedder warned)
    index = index_of_kind(plan.snapshot, None, kind, embedder)  # under the pairs' store ids
    epochs = recipe.incremental_epochs if parent else recipe.epochs
    learning_rate = recipe.incremental_learning_rate if parent else recipe.learning_rate
    batches = batch_plan(plan, [len(e.input_ids) for e in examples], recipe.batch_size, epochs)
    replayed = replayed_pairs(plan, batches)
    run_folder = RunFolder(Path(settings.train_work_dir))
    key = _run_key(mode, parent, plan, recipe, base_print, batches)
    run_plan = run_folder.load_plan(key) or {"key": key, "started_at": manifests.utc_timestamp()}
    log.info(
        "training",
        extra={
            "mode": mode,
            "parent": parent,
            "new": len(plan.new),
            "replayed": len(replayed),
            "eval": len(plan.eval),
            "steps": len(batches),
            "dtype": str(dtype),
            "threads": threads,
        },
    )
    answer_tokens = max(MAX_NEW_TOKENS, recipe.max_seq_len // 2 + 17)  # the longest answer scored
    torch.manual_seed(recipe.seed)  # the fresh LoRA weights: the same in every process and every rerun
    model = load_for_training(
        settings.base_model_path,
        dtype,
        models_dir / parent if parent else None,
        recipe.lora_r,
        recipe.lora_alpha,
        recipe.lora_dropout,
        recipe.lora_targets,
        recipe.lora_layers,
    )
    _check_servable(model)
    if (
        "before" not in run_plan and world.is_main
    ):  # the starting point's scores (parent adapter, or the base: LoRA B starts at 0)
        with version_answerer(model, tokenizer, settings.base_model_path, dtype, answer_tokens) as answerer:
            answering = answerer.answering(index, recipe.context_pairs)
            run_plan["before"] = evaluate(
                model, tokenizer, plan.eval, eot_id, recipe.max_seq_len, recipe.batch_size, answerer, answering
            )
        run_folder.save_plan(run_plan)
    frozen = frozen_bottom(model, examples, pad_id)
    result = train_loop(
        model,
        examples,
        batches,
        pad_id,
        learning_rate,
        run_folder,
        recipe.checkpoint_steps,
        show_progress,
        frozen,
        world,
    )
    if not world.is_main:
        return None
    with (
        version_answerer(model, tokenizer, settings.base_model_path, dtype, answer_tokens) as answerer,
        gguf_answerer(
            model, tokenizer, settings.base_model_path, settings.train_gguf, run_folder.root, MAX_NEW_TOKENS
        ) as gguf,
    ):
        answering = answerer.answering(index, recipe.context_pairs)
        after = evaluate(
            model, tokenizer, plan.eval, eot_id, recipe.max_seq_len, recipe.batch_size, answerer, answering
        )
        score = partial(
            score_reworded,
            answering=answering,
            questions_path=settings.train_eval_questions,
            answered=settings.train_eval_answered,
            min_false_on_unknown=settings.train_known_fix_false_on_unknown,
            pair_probes=leave_one_out_probes(index, plan.snapshot, CLOSENESS, recipe.seed),
        )
        reworded = score(gguf or answerer)  # the engine VM2 will serve the version with
        logs = score_logs(
            replace(answering, grounding=manifests.log_grounding(recipe.context_pairs, reworded)),
            settings.train_eval_logs,
            settings.train_log_known_fix_false_on_unknown,
        )
        gguf_info = gguf.info(answerer, reworded, score) if gguf else None
    manifest = Manifest(
        version=registry.new_version_id(models_dir),
        parent=parent,
        mode=mode,
        started_at=run_plan["started_at"],
        base_model=BaseFingerprint(path=str(settings.base_model_path), **base_print),
        tokenizer=TokenizerInfo(template_sha256=template_fingerprint(tokenizer), end_of_turn_id=eot_id),
        dataset=manifests.dataset_section(plan, replayed, PAIRS_FILE_NAME),
        grounding=manifests.grounding_section(recipe.context_pairs, reworded, index.kind, logs),
        hyperparameters={
            **recipe.as_dict(),
            **lora_hyperparameters(model),
            "epochs_run": epochs,
            "learning_rate_run": learning_rate,
            "steps": len(batches),
            "frozen_base_dtype": str(dtype).removeprefix("torch."),
            "threads": threads,
        },
        metrics=manifests.metrics_section(
            result.losses, after, run_plan["before"], "parent" if parent else "base", reworded, logs
        ),
        training=TrainingInfo(
            steps=result.steps,
            real_tokens=result.real_tokens,
            seconds=round(result.seconds, 1),
            tokens_per_s=round(result.tokens_per_s, 1),
            resumed_from_step=result.resumed_from_step,
            world_size=world.size,
        ),
        software=manifests.software_versions(),
        gguf=gguf_info,
    )
    version = publish(models_dir, model, plan, manifest, settings.base_model_path, mode, gguf and gguf.path)
    run_folder.clear()
    if show_progress:
        print(render_summary(registry.read_manifest(models_dir / version)), file=sys.stderr)
    return version


def _check_servable(model: Any) -> None:
    """Every version is scored by VM2's engine: refuse, before training, a base it cannot decode."""
    try:
        check_supported(model.config)
    except UnsupportedModelError as error:
        raise BaseModelError(f"{error}: a version of this base could be neither scored nor served") from None


def _run_key(
    mode: str, parent: str | None, plan: DatasetPlan, recipe: Recipe, base: dict, batches: list[list[int]]
) -> str:
    """Identifies a run: a leftover checkpoint is resumed only when all of this is unchanged."""
    material = {
        "mode": mode,
        "parent": parent,
        "pool": [p["id"] for p in plan.pool],
        "eval": [p["id"] for p in plan.eval],
        "dataset": manifests.dataset_sha256(plan.snapshot),
        "recipe": recipe.as_dict(),
        "base": base["sha256"],
        "batches": batches,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
