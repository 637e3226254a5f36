"""The hyperparameters of one run, taken from TrainerSettings (CLI flags override settings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from resolver_core.settings import TrainerSettings


@dataclass(frozen=True)
class Recipe:
    epochs: float
    learning_rate: float
    batch_size: int
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    lora_targets: str
    lora_layers: int
    replay_ratio: float
    new_pair_repeats: int
    incremental_epochs: float
    incremental_learning_rate: float
    eval_fraction: float
    max_seq_len: int
    context_pairs: int
    context_own_probability: float
    dtype: str
    seed: int
    checkpoint_steps: int

    @classmethod
    def from_settings(cls, settings: TrainerSettings) -> Recipe:
        return cls(
            epochs=settings.train_epochs,
            learning_rate=settings.train_learning_rate,
            batch_size=settings.train_batch_size,
            lora_r=settings.train_lora_r,
            lora_alpha=settings.train_lora_alpha,
            lora_dropout=settings.train_lora_dropout,
            lora_targets=settings.train_lora_targets,
            lora_layers=settings.train_lora_layers,
            replay_ratio=settings.train_replay_ratio,
            new_pair_repeats=settings.train_new_pair_repeats,
            incremental_epochs=settings.train_incremental_epochs or settings.train_epochs,
            incremental_learning_rate=settings.train_incremental_learning_rate or settings.train_learning_rate,
            eval_fraction=settings.train_eval_fraction,
            max_seq_len=settings.train_max_seq_len,
            context_pairs=settings.train_context_pairs,
            context_own_probability=settings.train_context_own_probability,
            dtype=settings.train_dtype,
            seed=settings.train_seed,
            checkpoint_steps=settings.train_checkpoint_steps,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
