"""`python -m trainer`: base-model, train, versions, promote."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from resolver_core import registry
from resolver_core.base_model import BaseModelError, check_base_folder, fingerprint, prepare_embedded_base
from resolver_core.logging_setup import configure_logging
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH, ConfigError, TrainerSettings
from resolver_core.settings.recipe import SETTINGS_PREFIX, Recipe

log = logging.getLogger(__name__)

# Short spellings kept beside the generated --learning-rate / --incremental-learning-rate.
FLAG_ALIASES = {"learning_rate": ["--lr"], "incremental_learning_rate": ["--incremental-lr"]}
# Settings that are not part of the recipe but may be set for one run.
RUN_FLAGS = {"threads": "torch threads (0 = all cores)"}


def add_recipe_flags(parser: argparse.ArgumentParser) -> None:
    """One --flag per recipe field (resolver_core/settings/recipe.py): same type, bounds checked by the settings."""
    for name, field in Recipe.model_fields.items():
        help_text = f"{field.description} (env TRAIN_{name.upper()}, default {field.default})"
        _add_flag(parser, name, field.annotation, help_text)
    for name, text in RUN_FLAGS.items():
        _add_flag(parser, name, int, f"{text} (env TRAIN_{name.upper()})")


def _add_flag(parser: argparse.ArgumentParser, name: str, annotation: Any, help_text: str) -> None:
    flags = [f"--{name.replace('_', '-')}", *FLAG_ALIASES.get(name, [])]
    choices = get_args(annotation) if get_origin(annotation) is Literal else None
    kind = str if choices else annotation
    parser.add_argument(
        *flags,
        type=kind,
        choices=choices,
        dest=SETTINGS_PREFIX + name,
        default=None,
        help=help_text.replace("%", "%%"),
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = [*Recipe.model_fields, *RUN_FLAGS]
    values = {SETTINGS_PREFIX + name: getattr(args, SETTINGS_PREFIX + name, None) for name in names}
    return {field: value for field, value in values.items() if value is not None}


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
    add_recipe_flags(train)
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
        settings = TrainerSettings.load(**_overrides(args))
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
