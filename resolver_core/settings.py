"""One pydantic-settings class per process; every field is an environment variable listed in .env.example."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your_secret_api_key_here", "key", "password"}
MIN_KEY_LENGTH = 16
DEFAULT_BASE_MODEL_PATH = Path("models/base/smollm2-135m-instruct")


class ConfigError(RuntimeError):
    """A configuration problem the user must fix; the message says how."""


def parse_named_keys(raw: str, variable: str) -> dict[str, str]:
    """Parse ``name:key,name:key`` into {key: name}, refusing placeholders and short keys."""
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, key = entry.partition(":")
        if not sep or not name.strip() or not key.strip():
            raise ConfigError(f"{variable}: entry {name.strip() or '?'!r} must look like name:key")
        key = key.strip()
        if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"{variable}: the key for {name.strip()!r} is a placeholder or shorter than {MIN_KEY_LENGTH} "
                "characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        keys[key] = name.strip()
    return keys


def env_file() -> str | None:
    """The dotenv file the settings read: ENV_FILE if set, else ./.env when it exists."""
    explicit = os.environ.get("ENV_FILE")
    if explicit:
        return explicit
    return ".env" if Path(".env").is_file() else None


class CommonSettings(BaseSettings):
    """Shared by every process."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    data_dir: Path = Field(Path("data"), description="Folder of the pair store (pairs.db) and the seed import file.")
    database_url: SecretStr = Field(
        SecretStr(""),
        description="Pair store: empty = SQLite at DATA_DIR/pairs.db; postgresql://user:password@host:5432/db.",
    )
    models_dir: Path = Field(Path("models"), description="Model registry: one immutable folder per version.")
    base_model_path: Path = Field(
        DEFAULT_BASE_MODEL_PATH, description="Local HF causal-LM folder of the base model (make base-model)."
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING, ERROR.")
    log_format: Literal["json", "text"] = Field("json", description="Log lines as JSON objects or plain text.")

    @classmethod
    def load(cls, **overrides: object):
        return cls(_env_file=env_file(), **overrides)  # type: ignore[call-arg]


class SubmissionSettings(CommonSettings):
    """Submission service (VM1, port 5001)."""

    submission_api_keys: SecretStr = Field(
        SecretStr(""), description="Who may submit: comma-separated name:key pairs, e.g. alice:KEY1,bob:KEY2."
    )
    submission_admin_keys: SecretStr = Field(
        SecretStr(""), description="Who may delete or re-status pairs: name:key pairs (admins may also submit)."
    )
    submission_port: int = Field(5001, description="Port of the submission API.")
    submission_min_length: int = Field(5, ge=1, description="Shortest accepted issue/resolution, in characters.")
    submission_max_length: int = Field(200, ge=1, description="Longest accepted issue/resolution, in characters.")
    submission_max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies get 413.")
    submission_default_status: Literal["approved", "pending"] = Field(
        "approved", description="Status of a new pair: approved (trainable) or pending (awaits review)."
    )

    def submitter_keys(self) -> dict[str, str]:
        return parse_named_keys(self.submission_api_keys.get_secret_value(), "SUBMISSION_API_KEYS")

    def admin_keys(self) -> dict[str, str]:
        return parse_named_keys(self.submission_admin_keys.get_secret_value(), "SUBMISSION_ADMIN_KEYS")

    def require_keys(self) -> None:
        if not self.submitter_keys() and not self.admin_keys():
            raise ConfigError(
                "no API key configured: set SUBMISSION_API_KEYS=name:key (e.g. in .env); generate a key with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )


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


class InferenceSettings(CommonSettings):
    """Inference service (VM2, port 5000)."""

    model_version: str = Field("latest", description="Version (or alias: latest, promoted) served by inference.")
    inference_port: int = Field(5000, description="Port of the inference API.")
    resolve_api_keys: SecretStr = Field(
        SecretStr(""), description="Optional name:key pairs; when set, /resolve and /v1 need a key."
    )
    inference_admin_keys: SecretStr = Field(
        SecretStr(""), description="name:key pairs allowed to hot-reload another version (POST /admin/reload)."
    )
    inference_max_batch: int = Field(8, ge=1, description="Concurrent requests generated together as one batch.")
    inference_queue_size: int = Field(64, ge=1, description="Waiting requests beyond this get 503.")
    inference_request_timeout_s: float = Field(
        120.0, gt=0, description="A request not answered within this many seconds (queue + generation) gets 504."
    )
    inference_max_new_tokens: int = Field(96, ge=1, description="Default and upper bound of generated tokens.")
    inference_max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies get 413.")
    inference_max_prompt_tokens: int = Field(
        1024, ge=64, description="Longest prompt (system message + issue) in tokens; longer issues get 422."
    )
    inference_dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto",
        description="Weights dtype; auto = bfloat16 on CPUs with AMX/AVX512-BF16 (measured faster, batch-invariant), "
        "else float32.",
    )
    inference_draft_tokens: int = Field(
        8,
        ge=0,
        description="Draft tokens checked per step from the nearest known resolutions (exact speculative "
        "decoding: answers unchanged, faster when they follow a known fix); 0 turns drafts off.",
    )
    inference_threads: int = Field(0, ge=0, description="Torch threads; 0 = all cores.")
    inference_similar_k: int = Field(3, ge=0, description="Known pairs returned as evidence with each answer.")
    inference_answer_policy: Literal["version", "model", "top_known_fix"] = Field(
        "version",
        description="version = what the version's evaluation chose per band (generated answer, or the closest "
        "known fix verbatim where generated answers scored below it); model = always generate; top_known_fix = "
        "always return the closest known fix.",
    )
    inference_known_fix_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Evidence score from which a known pair counts as close (known_fix); unset = the threshold "
        "calibrated on reworded questions when the version was trained (its manifest).",
    )
    inference_min_length: int = Field(5, ge=1, description="Shortest accepted issue, in characters.")
    inference_max_length: int = Field(2000, ge=1, description="Longest accepted issue, in characters.")

    def resolve_keys(self) -> dict[str, str]:
        return parse_named_keys(self.resolve_api_keys.get_secret_value(), "RESOLVE_API_KEYS")

    def admin_keys(self) -> dict[str, str]:
        return parse_named_keys(self.inference_admin_keys.get_secret_value(), "INFERENCE_ADMIN_KEYS")


class DeploySettings(CommonSettings):
    """Deploy (make deploy VERSION=...)."""

    deploy_target: str = Field(
        "vm2/models", description="Where make deploy copies versions: a local folder or user@host:/path."
    )
    deploy_ssh_options: str = Field("", description="Extra ssh options for rsync -e ssh, e.g. '-p 2222 -i key'.")


ALL_SETTINGS: tuple[type[CommonSettings], ...] = (
    SubmissionSettings,
    TrainerSettings,
    InferenceSettings,
    DeploySettings,
)


def all_env_vars() -> set[str]:
    return {name.upper() for cls in ALL_SETTINGS for name in cls.model_fields} | set(COMPOSE_VARIABLES)


# Variables read by docker compose only (not by a Python process); documented in .env.example all the same.
COMPOSE_VARIABLES: dict[str, tuple[str, str]] = {
    "BASE_IMAGE": (
        "Image the Dockerfile builds FROM; without a registry use ci-resolver/base:bookworm "
        "(docker/engine.sh base-image).",
        "python:3.11-slim",
    ),
    "IMAGE_TAG": ("Tag of the ci-resolver-{submission,trainer,inference} images.", "latest"),
    "APP_UID": ("User id the containers run as (never root); empty = 10001 when make runs as root, else yours.", ""),
    "APP_GID": ("Group id the containers run as; empty = 10001 as root, else yours.", ""),
    "HOST_DATA_DIR": (
        "Host folder mounted as the containers' DATA_DIR (absolute, or relative starting with ./).",
        "./data",
    ),
    "HOST_MODELS_DIR": ("Host folder mounted as the containers' MODELS_DIR on VM1.", "./models"),
    "VM2_MODELS_DIR": (
        "VM2: the folder deploy copies versions (and the base) into; mounted read-only by inference.",
        "./vm2/models",
    ),
}


def _example_value(cls: type[CommonSettings], name: str) -> str:
    default = cls.model_fields[name].default
    if isinstance(default, SecretStr):
        return default.get_secret_value()
    return "" if default is None else str(default)


def render_env_example() -> str:
    """The text of .env.example: every variable of every settings class, with its description and default."""
    lines = [
        "# ci-resolver configuration. Copy to .env and edit; every process reads its variables from the",
        "# environment or from ./.env. Generated by `make env-example` from resolver_core/settings.py.",
    ]
    seen: set[str] = set()
    for cls in (CommonSettings, *ALL_SETTINGS):
        fields = [name for name in cls.model_fields if name not in seen]
        if not fields:
            continue
        lines += ["", f"# --- {cls.__doc__.strip().splitlines()[0] if cls.__doc__ else cls.__name__}"]
        for name in fields:
            seen.add(name)
            lines.append(f"# {cls.model_fields[name].description}")
            lines.append(f"{name.upper()}={_example_value(cls, name)}")
    if COMPOSE_VARIABLES:
        lines += ["", "# --- Docker Compose only"]
        for name, (description, default) in COMPOSE_VARIABLES.items():
            lines += [f"# {description}", f"{name}={default}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_env_example(), end="")
