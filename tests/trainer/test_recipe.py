"""The recipe is declared once (resolver_core/settings/recipe.py): settings, flags and the run's recipe follow it."""

from __future__ import annotations

import pytest

from resolver_core.settings import TrainerSettings
from resolver_core.settings.recipe import Recipe
from trainer.cli import _overrides, build_parser, main


def test_every_recipe_field_is_a_setting_and_a_train_flag_with_its_bounds() -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for name, field in Recipe.model_fields.items():
        assert TrainerSettings.model_fields[f"train_{name}"].default == field.default
        assert f"--{name.replace('_', '-')}" in help_text
    assert "--lr" in help_text and "--incremental-lr" in help_text and "--threads" in help_text


def test_the_run_recipe_takes_flags_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAIN_EPOCHS", "7")
    monkeypatch.setenv("TRAIN_INCREMENTAL_EPOCHS", "0")  # 0 = the first run's epochs
    args = build_parser().parse_args(["train", "--lr", "0.01", "--dtype", "float32", "--lora-targets", "q_proj"])

    recipe = Recipe.from_settings(TrainerSettings(_env_file=None, **_overrides(args)))
    assert (recipe.epochs, recipe.incremental_epochs, recipe.learning_rate) == (7.0, 7.0, 0.01)
    assert recipe.incremental_learning_rate == 0.01 and recipe.dtype == "float32" and recipe.lora_targets == "q_proj"
    assert recipe.as_dict()["lora_r"] == Recipe.model_fields["lora_r"].default


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--epochs", "0"], "train_epochs"),
        (["--lora-targets", " "], "TRAIN_LORA_TARGETS"),
        (["--eval-fraction", "1.5"], "train_eval_fraction"),
    ],
)
def test_an_out_of_bounds_flag_is_refused_naming_the_setting(
    flags: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", *flags]) == 2
    assert named in capsys.readouterr().err


def test_a_bad_choice_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--dtype", "fp8"])
