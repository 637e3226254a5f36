"""Settings of the trainer (VM1, make train)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from resolver_core.settings.common import CommonSettings


class TrainerSettings(CommonSettings):
    """Trainer (VM1, make train)."""

    train_work_dir: Path = Field(
        Path("data/trainer-work"), description="Checkpoints of an unfinished run (outside models/), resumed next time."
    )
    train_epochs: float = Field(12.0, gt=0, description="Passes over the training set.")
    train_learning_rate: float = Field(
        4e-3, gt=0, description="Peak learning rate (linear decay, short warm-up); measured with 10 LoRA layers."
    )
    train_batch_size: int = Field(16, ge=1, description="Examples per optimizer step.")
    train_lora_r: int = Field(16, ge=1, description="LoRA rank.")
    train_lora_alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    train_lora_dropout: float = Field(
        0.0, ge=0, lt=1, description="LoRA dropout (0: answers are memorized sooner, and steps run ~5% faster)."
    )
    train_lora_targets: str = Field(
        "all-linear", description="Modules LoRA adapts: all-linear, or a comma list such as q_proj,v_proj."
    )
    train_lora_layers: int = Field(
        10,
        ge=0,
        description="LoRA on the top N decoder layers only (0 = all): the frozen layers below run once per run, "
        "not once per step (new adapters; a continued run keeps its parent's layers). Measured on 48 pairs: top "
        "10 of 30 reproduced 48/48 answers in 2.2x less time than all 30 layers (45/48).",
    )
    train_replay_ratio: float = Field(
        0.0,
        ge=0,
        description="Older pairs an incremental run rehearses per new pair, the same ones every epoch; 0 = all of "
        "them (measured: older pairs left out were mostly forgotten, rehearsed ones all kept).",
    )
    train_new_pair_repeats: int = Field(
        2, ge=1, description="Incremental runs show each new pair this many times per epoch (learn them fast)."
    )
    train_incremental_epochs: float = Field(
        10.0,
        ge=0,
        description="Epochs of an incremental run over new + rehearsed pairs; 0 = TRAIN_EPOCHS. With 10 LoRA "
        "layers, 6 left one of 29 answers a few words short in one of two runs.",
    )
    train_incremental_learning_rate: float = Field(
        0.0, ge=0, description="Peak learning rate of an incremental run; 0 = TRAIN_LEARNING_RATE."
    )
    train_eval_fraction: float = Field(0.1, ge=0, lt=1, description="Share of pairs held out for evaluation.")
    train_max_seq_len: int = Field(
        512, ge=32, description="Longest tokenized example (known-pair context included); longer ones are cut."
    )
    train_context_pairs: int = Field(
        0,
        ge=0,
        description="Known pairs shown beside each question, in training (RAFT) and serving alike; 0 = the model "
        "answers from its training alone. Measured on SmolLM2-135M: 3 pairs made answers worse on reworded "
        "questions and training 3-4x slower, so 0 is the default (see README, Grounded answers).",
    )
    train_context_own_probability: float = Field(
        0.8, ge=0, le=1, description="Share of training examples whose own pair is among the known pairs shown."
    )
    train_eval_answered: int = Field(
        48,
        ge=0,
        description="Reworded questions the new version answers after training (a fixed sample, known and unknown in "
        "proportion; 0 = all). Retrieval and the threshold use every question; generation is what costs "
        "(about 1.5 s a question on 2 AVX2 cores).",
    )
    train_eval_questions: Path | None = Field(
        None,
        description="Reworded questions every version is scored on (samples/paraphrases.json format); unset = "
        "the shipped samples/paraphrases.json.",
    )
    train_retrieval: Literal["hybrid", "tfidf"] = Field(
        "hybrid",
        description="How evidence is found for scoring and, after deploy, for serving (recorded per version): hybrid "
        "= sentence embeddings + TF-IDF (hit@1 0.955 vs 0.813 on the reworded questions), tfidf = TF-IDF alone.",
    )
    train_dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto", description="auto = bf16 frozen base when the CPU has native bf16 (AMX/AVX512-BF16), else fp32."
    )
    train_seed: int = Field(0, description="Seed for the split, the replay sample and training.")
    train_threads: int = Field(0, ge=0, description="Torch threads; 0 = all cores.")
    train_checkpoint_steps: int = Field(20, ge=1, description="Save a resumable checkpoint every N steps.")

    @field_validator("train_eval_questions")
    @classmethod
    def _questions_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"TRAIN_EVAL_QUESTIONS {value} is not a file (samples/paraphrases.json has the format)")
        return value

    @field_validator("train_lora_targets")
    @classmethod
    def _targets_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("TRAIN_LORA_TARGETS must name modules or be all-linear")
        return value.strip()
