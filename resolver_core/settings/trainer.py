"""Settings of the trainer (VM1, make train)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from resolver_core.settings.recipe import RecipeSettings


class TrainerSettings(RecipeSettings):  # type: ignore[misc, valid-type]
    """Trainer (VM1, make train): the recipe (resolver_core/settings/recipe.py) and where and how it runs."""

    train_work_dir: Path = Field(
        Path("data/trainer-work"), description="Checkpoints of an unfinished run (outside models/), resumed next time."
    )
    train_eval_answered: int = Field(
        48,
        ge=0,
        description="Reworded questions the new version answers after training (a fixed sample, known and unknown in "
        "proportion; 0 = all). Retrieval and the threshold use every question; generating the answers is what "
        "costs.",
    )
    train_eval_questions: Path | None = Field(
        None,
        description="Reworded questions every version is scored on (samples/paraphrases.json format); unset = "
        "the shipped samples/paraphrases.json. Its questions about the version's pairs also calibrate the known-fix "
        "threshold, beside the version's own pairs.",
    )
    train_eval_logs: Path | None = Field(
        None,
        description="Failure excerpts every version is scored on as whole job logs (samples/log_excerpts.json "
        "format: each buried in a made log); unset = the shipped samples/log_excerpts.json. With logs about the "
        "version's pairs and others, it also calibrates the known-fix threshold for logs.",
    )
    train_retrieval: Literal["hybrid_issue", "hybrid", "tfidf"] = Field(
        "hybrid_issue",
        description="How evidence is found for scoring and, after deploy, for serving (recorded per version): hybrid "
        "= sentence embeddings + TF-IDF, hybrid_issue = the same with each issue also embedded alone (tells known "
        "questions from unknown ones better), tfidf = TF-IDF alone (no embedding model needed).",
    )
    train_known_fix_false_on_unknown: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Share of the questions without a known pair that must not be called a known fix (each pair's "
        "issue searched among the other pairs, and the reworded questions about failures the version does not "
        "know); the known-fix threshold is the one that recognises the most questions with a pair under that "
        "constraint, or, with none, the conformal quantile of the others.",
    )
    train_log_known_fix_false_on_unknown: float = Field(
        0.9,
        ge=0,
        le=1,
        description="The same share for whole logs: made logs about failures the version does not know that must "
        "not be called a known fix (a log is searched by several of its blocks, so an unknown failure has more "
        "chances to look close than a question).",
    )
    train_gguf: Literal["q8_0", "q4_0", "q4_k_m", "f16", "bf16", "f32", "off"] = Field(
        "q8_0",
        description="Each version is also written as one GGUF file (base and adapter merged, this quantization) for "
        "VM2's llama.cpp engine, and its reworded-question answers from that file are scored beside the torch "
        "engine's; off = no GGUF (the version is served by the torch engine). Needs `make llamacpp`; without it "
        "the version gets no GGUF and a warning.",
    )
    train_threads: int = Field(0, ge=0, description="Torch threads; 0 = all cores.")

    @field_validator("train_eval_logs")
    @classmethod
    def _logs_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"TRAIN_EVAL_LOGS {value} is not a file (samples/log_excerpts.json has the format)")
        return value

    @field_validator("train_eval_questions")
    @classmethod
    def _questions_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"TRAIN_EVAL_QUESTIONS {value} is not a file (samples/paraphrases.json has the format)")
        return value
