"""The OpenAI-compatible subset's bodies (/v1): requests, the chat.completion reply and the chat.completion.chunk
events of a stream, each with the grounding fields /resolve gives (OpenAI clients ignore fields they do not know)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from inference.schemas import ANSWER_ID, MAX_TEMPERATURE, Usage
from resolver_core.openapi import MAX_SEED

FinishReason = Literal["stop", "length"]
AnswerSource = Literal["model", "known_fix"]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: StrictStr
    content: StrictStr | list[dict] | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI fields this server honours; others (top_p, n=1, …) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    model: StrictStr
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: StrictInt | None = Field(None, ge=1, description="Upper bound: INFERENCE_MAX_NEW_TOKENS.")
    max_completion_tokens: StrictInt | None = Field(None, ge=1, description="Same as max_tokens; wins over it.")
    temperature: StrictFloat | None = Field(None, ge=0.0, le=MAX_TEMPERATURE)
    seed: StrictInt | None = Field(None, ge=0, le=MAX_SEED)
    stream: StrictBool = Field(False, description="Server-sent events: chunks, then `data: [DONE]`.")
    n: StrictInt = Field(1, ge=1, le=1, description="Only one choice per request.")


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason


class Grounding(BaseModel):
    """What /resolve says about an answer: the team's known fix or not, which pairs, from where, its id."""

    known_fix: bool
    based_on: list[int]
    answer_source: AnswerSource
    answer_id: str | None = ANSWER_ID


class ChatCompletion(Grounding):
    """OpenAI's chat.completion, plus the grounding fields."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    system_fingerprint: str
    choices: list[ChatChoice]
    usage: Usage


class ChatDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChatDelta
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(BaseModel):
    """One event of a stream. The last one has a finish_reason and the grounding fields; the others have none."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    known_fix: bool | None = None
    based_on: list[int] | None = None
    answer_source: AnswerSource | None = None
    answer_id: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
