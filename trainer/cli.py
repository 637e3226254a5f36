"""`python -m trainer`: base-model, train, versions, promote."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from resolver_core import registry
from resolver_core.base_model import BaseModelError, check_base_folder, fingerprint, prepare_embedded_base
from resolver_core.logs import configure_logging
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH, ConfigError, TrainerSettings

log = logging.getLogger(__name__)

# CLI flag → TrainerSettings field; flags override the environment / .env for one run.
OVERRIDES: dict[str, tuple[str, type, str]] = {
    "--epochs": ("train_epochs", float, "passes over the training set (first or --full run)"),
    "--incremental-epochs": ("train_incremental_epochs", float, "passes over new + replayed pairs (0 = --epochs)"),
    "--lr": ("train_learning_rate", float, "peak learning rate"),
    "--incremental-lr": ("train_incremental_learning_rate", float, "peak learning rate of an incremental run"),
    "--batch-size": ("train_batch_size", int, "examples per optimizer step"),
    "--lora-r": ("train_lora_r", int, "LoRA rank (new adapters only; a continued run keeps its parent's)"),
    "--lora-alpha": ("train_lora_alpha", int, "LoRA alpha"),
    "--lora-dropout": ("train_lora_dropout", float, "LoRA dropout"),
    "--lora-targets": ("train_lora_targets", str, "all-linear, or modules such as q_proj,v_proj"),
    "--lora-layers": ("train_lora_layers", int, "adapt only the top N decoder layers (0 = all)"),
    "--replay-ratio": ("train_replay_ratio", float, "older pairs replayed per new pair"),
    "--new-pair-repeats": ("train_new_pair_repeats", int, "times each new pair appears per incremental epoch"),
    "--eval-fraction": ("train_eval_fraction", float, "share of pairs held out for evaluation"),
    "--max-seq-len": ("train_max_seq_len", int, "longest tokenized example"),
    "--dtype": ("train_dtype", str, "auto, bfloat16 or float32 (frozen base weights)"),
    "--seed": ("train_seed", int, "seed for split, replay sample and training"),
    "--threads": ("train_threads", int, "torch threads (0 = all cores)"),
    "--checkpoint-steps": ("train_checkpoint_steps", int, "save a resumable checkpoint every N steps"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("base-model", help="prepare the embedded base model, or check BASE_MODEL_PATH")
    train = commands.add_parser(
        "train",
        help="train a new version from the approved pairs",
        description="Default: continue from the `latest` version on the pairs new since it plus a replayed sample "
        "of older ones. An interrupted run is resumed from its checkpoint.",
    )
    start = train.add_mutually_exclusive_group()
    start.add_argument("--full", action="store_true", help="retrain from the base model on all pairs")
    start.add_argument("--from", dest="from_version", metavar="VERSION", help="continue from this version or alias")
    train.add_argument("--no-progress", action="store_true", help="no progress bar or summary (logs only)")
    for flag, (field, kind, text) in OVERRIDES.items():
        train.add_argument(flag, type=kind, dest=field, default=None, help=f"{text} (env {field.upper()})")
    commands.add_parser("versions", help="list versions with parent, pairs, metrics and aliases")
    promote = commands.add_parser("promote", help="point the `promoted` alias at a version")
    promote.add_argument("version", help="a version id or alias (e.g. latest)")
    promote.add_argument("--reason", default="", help="recorded in models/aliases/history.jsonl")
    promote.add_argument("--alias", default="promoted", help="alias to move (default: promoted)")
    promote.add_argument(
        "--force", action="store_true", help="promote even if its reworded-question scores are below the current's"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        overrides = {f: getattr(args, f) for f, *_ in OVERRIDES.values() if getattr(args, f, None) is not None}
        settings = TrainerSettings.load(**overrides)
        configure_logging(settings.log_level, settings.log_format)
        return COMMANDS[args.command](settings, args)
    except (ConfigError, BaseModelError, registry.RegistryError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def cmd_base_model(settings: TrainerSettings, args: argparse.Namespace) -> int:
    path = Path(settings.base_model_path)
    if path.resolve() == DEFAULT_BASE_MODEL_PATH.resolve():
        prepare_embedded_base(path)
    else:
        check_base_folder(path)
    print(json.dumps({"path": str(path), **fingerprint(path)}, indent=2))
    return 0


def cmd_train(settings: TrainerSettings, args: argparse.Namespace) -> int:
    from trainer.checkpoints import TrainingBusy
    from trainer.training import train_version

    mode = "full" if args.full else "from" if args.from_version else "continue"
    try:
        version = train_version(settings, mode, args.from_version, show_progress=not args.no_progress)
    except TrainingBusy as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    if version:
        print(version)
    return 0


def cmd_versions(settings: TrainerSettings, args: argparse.Namespace) -> int:
    from trainer.summary import render_versions

    print(render_versions(Path(settings.models_dir)))
    return 0


def cmd_promote(settings: TrainerSettings, args: argparse.Namespace) -> int:
    from trainer.promotion import comparable, promotion_problem

    models_dir = Path(settings.models_dir)
    version = registry.resolve_version(models_dir, args.version)
    current = registry.read_alias(models_dir, args.alias)
    if current and current != version and current in registry.list_versions(models_dir):
        candidate, promoted = (registry.read_manifest(models_dir / v) for v in (version, current))
        problem = None
        if comparable(candidate, promoted):
            problem = promotion_problem(candidate, promoted)
        else:
            print(f"note: {version} and {current} were not scored on the same reworded questions: not compared")
        if problem and not args.force:
            print(f"refused: {problem}", file=sys.stderr)
            return 1
    registry.set_alias(models_dir, args.alias, version, reason=args.reason)
    print(f"{args.alias} → {version}")
    return 0


COMMANDS = {"base-model": cmd_base_model, "train": cmd_train, "versions": cmd_versions, "promote": cmd_promote}
