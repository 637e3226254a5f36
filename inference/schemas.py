"""Request and response bodies of the inference API (/resolve, /admin) and the OpenAI-compatible subset (/v1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

MAX_TEMPERATURE = 2.0


class ResolveRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"issue": "Build failed due to missing dependency"}]})

    issue: StrictStr = Field(description="The CI/CD failure, as a developer would describe it.")
    max_new_tokens: int | None = Field(
        None, ge=1, description="Longest answer in tokens (default and upper bound: INFERENCE_MAX_NEW_TOKENS)."
    )
    temperature: float = Field(
        0.0, ge=0.0, le=MAX_TEMPERATURE, description="0 = greedy (same question, same answer); up to 2 samples."
    )
    seed: int | None = Field(None, description="Seed for sampling when temperature > 0 (reproducible samples).")


class SimilarPair(BaseModel):
    issue: str
    resolution: str
    score: float = Field(description="TF-IDF similarity to the question, 0..1.")


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ResolveResponse(BaseModel):
    issue: str
    resolution: str
    model_version: str
    similar: list[SimilarPair] = Field(description="Nearest known pairs from the version's dataset: the evidence.")
    finish_reason: Literal["stop", "length"]
    usage: Usage
    latency_ms: float


class ReloadRequest(BaseModel):
    version: StrictStr = Field(description="A version id or an alias (latest, promoted) under MODELS_DIR.")


class ReloadStatus(BaseModel):
    state: Literal["idle", "loading", "succeeded", "failed"]
    requested: str | None = None
    serving: str
    error: str | None = None
    requested_by: str | None = None
    started_at: float | None = None
    finished_at: float | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: StrictStr
    content: StrictStr | list[dict] | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI fields this server honours; others (top_p, n=1, …) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    model: StrictStr
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=MAX_TEMPERATURE)
    seed: int | None = None
    stream: bool = False
    n: int = Field(1, ge=1, le=1, description="Only one choice per request.")
