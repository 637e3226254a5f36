"""The training recipe, declared once: each hyperparameter's name, type, default, bounds and description.

Three things are generated from `Recipe`: the `TRAIN_<NAME>` settings of TrainerSettings (environment / .env),
the `python -m trainer train --<name>` flags (trainer/cli.py) and the recipe a run trains with and records in its
manifest (`Recipe.from_settings`).
"""

from __future__ import annotations

from copy import copy
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from resolver_core.settings.common import CommonSettings

SETTINGS_PREFIX = "train_"


def _modules_named(value: str) -> str:
    if not value.strip():
        raise ValueError("TRAIN_LORA_TARGETS must name modules or be all-linear")
    return value.strip()


class Recipe(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    epochs: float = Field(12.0, gt=0, description="Passes over the training set.")
    learning_rate: float = Field(
        4e-3, gt=0, description="Peak learning rate (linear decay, short warm-up), chosen with 10 LoRA layers."
    )
    batch_size: int = Field(16, ge=1, description="Examples per optimizer step.")
    lora_r: int = Field(16, ge=1, description="LoRA rank (new adapters only; a continued run keeps its parent's).")
    lora_alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    lora_dropout: float = Field(
        0.0, ge=0, lt=1, description="LoRA dropout (0: answers are memorized sooner, and steps run a little faster)."
    )
    lora_targets: Annotated[str, AfterValidator(_modules_named)] = Field(
        "all-linear", description="Modules LoRA adapts: all-linear, or a comma list such as q_proj,v_proj."
    )
    lora_layers: int = Field(
        10,
        ge=0,
        description="LoRA on the top N decoder layers only (0 = all): the frozen layers below run once per run, "
        "not once per step (new adapters; a continued run keeps its parent's layers). The top layers learn the "
        "pairs as well as all of them, in less time (docs/operations.md, Training).",
    )
    replay_ratio: float = Field(
        0.0,
        ge=0,
        description="Older pairs an incremental run rehearses per new pair, the same ones every epoch; 0 = all of "
        "them (older pairs left out of the rehearsal are mostly forgotten).",
    )
    new_pair_repeats: int = Field(
        2, ge=1, description="Incremental runs show each new pair this many times per epoch (learn them fast)."
    )
    incremental_epochs: float = Field(
        10.0,
        ge=0,
        description="Epochs of an incremental run over new + rehearsed pairs; 0 = TRAIN_EPOCHS (fewer than the "
        "default leave some answers a few words short).",
    )
    incremental_learning_rate: float = Field(
        0.0, ge=0, description="Peak learning rate of an incremental run; 0 = TRAIN_LEARNING_RATE."
    )
    eval_fraction: float = Field(0.1, ge=0, lt=1, description="Share of pairs held out for evaluation.")
    max_seq_len: int = Field(
        512, ge=32, description="Longest tokenized example (known-pair context included); longer ones are cut."
    )
    context_pairs: int = Field(
        0,
        ge=0,
        description="Known pairs shown beside each question, in training (RAFT) and serving alike; 0 = the model "
        "answers from its training alone. On the embedded 135M model known pairs in the prompt made generated "
        "answers worse and training slower, so 0 is the default (docs/grounding.md).",
    )
    context_own_probability: float = Field(
        0.8, ge=0, le=1, description="Share of training examples whose own pair is among the known pairs shown."
    )
    dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto", description="auto = bf16 frozen base when the CPU has native bf16 (AMX/AVX512-BF16), else fp32."
    )
    seed: int = Field(0, description="Seed for the split, the replay sample and training.")
    checkpoint_steps: int = Field(20, ge=1, description="Save a resumable checkpoint every N steps.")

    @model_validator(mode="before")
    @classmethod
    def _incremental_defaults(cls, values: Any) -> Any:
        """0 for an incremental run's epochs or learning rate means: the same as a first run's."""
        if isinstance(values, dict):
            values = dict(values)
            for incremental, first in (
                ("incremental_epochs", "epochs"),
                ("incremental_learning_rate", "learning_rate"),
            ):
                if values.get(incremental) == 0:
                    values[incremental] = values.get(first, cls.model_fields[first].default)
        return values

    @classmethod
    def from_settings(cls, settings: Any) -> Recipe:
        return cls(**{name: getattr(settings, SETTINGS_PREFIX + name) for name in cls.model_fields})

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _settings_field(name: str) -> tuple[Any, Any]:
    field = copy(Recipe.model_fields[name])  # type, default, bounds, validators and description travel along
    return field.annotation, field


RecipeSettings = create_model(
    "RecipeSettings",
    __base__=CommonSettings,
    __doc__="The recipe's TRAIN_* settings, generated from Recipe.",
    **{SETTINGS_PREFIX + name: _settings_field(name) for name in Recipe.model_fields},  # type: ignore[call-overload]
)
