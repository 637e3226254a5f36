"""The OpenAI-compatible subset: GET /v1/models and POST /v1/chat/completions (with stream: true).

The last user message is the issue; the fixed system message of the trained prompt format replaces any sent one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from decoding.answer import Answer, Answering, Asked
from inference.deps import Caller, Service, Settings
from inference.errors import ServiceError
from inference.feedback_routes import record_answer
from inference.http_errors import as_api_error
from inference.loading import ServedModel
from inference.log_routes import LogQuestion, log_question
from inference.metrics import InferenceMetrics
from inference.openai_protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatDelta,
    ChatMessage,
    ChunkChoice,
    FinishReason,
    Grounding,
    ModelCard,
    ModelList,
)
from inference.schemas import Usage
from inference.service import Generation, ModelService
from resolver_core.http import ApiError
from resolver_core.openapi import error_responses
from resolver_core.retrieval import Similar
from resolver_core.validation import FieldError, clean_text

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai"])
GENERIC_MODEL_NAME = "ci-resolver"
PASTED_LOG_LINES = 20  # a user message with this many lines is read as a pasted log, like POST /resolve/log


STREAM_DESCRIPTION = (
    "With `stream: true`: server-sent events, each `data: <chat.completion.chunk JSON>`; the last chunk carries "
    "finish_reason and the grounding fields, then `data: [DONE]`. Every field is validated before the first byte "
    "(a bad request gets its 4xx, not a stream); an error after the stream began arrives as "
    '`data: {"error": {"message", "type", "param", "code"}}` (OpenAI\'s shape), then `data: [DONE]`.'
)

SSE_EVENT = {  # one server-sent event (OpenAPI describes event streams event by event)
    "type": "object",
    "description": STREAM_DESCRIPTION,
    "properties": {
        "data": {"type": "string", "description": "A chat.completion.chunk or an error object (JSON), or [DONE]."},
        "event": {"type": "string"},
    },
    "required": ["data"],
}


@router.get("/models", response_model=ModelList, responses=error_responses(401))
def list_models(service: Service, _: Caller) -> ModelList:
    served = service.current
    return ModelList(data=[_model_card(served)])


def _model_card(served: ServedModel) -> ModelCard:
    return ModelCard(id=served.version, created=int(served.loaded_at), owned_by="ci-resolver")


def _user_text(messages: list[ChatMessage]) -> str:
    users = [m for m in messages if m.role == "user"]
    if not users:
        raise ApiError(422, "messages: needs a message with role 'user' (the issue)", "messages")
    content = users[-1].content
    if isinstance(content, list):  # content parts: keep the text ones
        content = "\n".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
    if not isinstance(content, str):
        raise FieldError("messages", f"the user message's content must be a string, got {type(content).__name__}")
    return content


def _is_pasted_log(text: str, settings) -> bool:
    """A log pasted into a chat client: longer than a question may be, many lines, or terminal codes."""
    return len(text) > settings.inference_max_length or text.count("\n") >= PASTED_LOG_LINES or "\x1b" in text


async def _question_of(text: str, settings) -> Question:
    if _is_pasted_log(text, settings):
        log = await log_question(text.encode(), settings, "messages")
        return Question(None, log.ask(), log)
    issue = clean_text(text, "messages", settings.inference_min_length, settings.inference_max_length)
    return Question(issue, partial(Answering.ask, question=issue, field="messages"), None)


def _check_model(name: str, served: ServedModel) -> None:
    if name not in {served.version, served.requested, GENERIC_MODEL_NAME}:
        raise ApiError(404, f"model {name!r} is not served here; GET /v1/models lists {served.version!r}", "model")


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "model": ChatCompletion,
            "description": "The completion (JSON), or with `stream: true` the events described above.",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
        **error_responses(400, 401, 404, 413, 422, 503, 504),
    },
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, service: Service, settings: Settings, caller: Caller
) -> ChatCompletion | StreamingResponse:
    _check_model(body.model, service.current)
    question = await _question_of(_user_text(body.messages), settings)
    field = "max_completion_tokens" if body.max_completion_tokens else "max_tokens"
    max_tokens = body.max_completion_tokens or body.max_tokens
    temperature = body.temperature or 0.0
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    whole_log = question.log is not None
    if body.stream:
        tokens = TokenQueue()
        generation = service.start_asking(
            question.ask, max_tokens, temperature, body.seed, tokens.put, field, whole_log
        )
        events = _stream(service, generation, tokens, completion_id, request, question, caller)
        return StreamingResponse(events, media_type="text/event-stream")
    generation = service.start_asking(question.ask, max_tokens, temperature, body.seed, None, field, whole_log)
    result = await service.finish(generation)
    served = generation.served
    answer = generation.answer(result)
    completion = len(result.token_ids)
    shown = generation.shown(answer)
    answer_id = await question.record(request, generation, answer, shown, caller, service.metrics)
    return ChatCompletion(
        id=completion_id,
        created=int(time.time()),
        model=served.version,
        system_fingerprint=served.version,
        choices=[
            ChatChoice(
                message=AssistantMessage(role="assistant", content=answer.text), finish_reason=result.finish_reason
            )
        ],
        usage=_usage(result.prompt_tokens, completion),
        **_grounding(answer, answer_id).model_dump(),
    )


@dataclass(frozen=True)
class Question:
    """The chat's question: a sentence (`issue`), or a pasted log (`log`); `ask` makes its evidence and prompt."""

    issue: str | None
    ask: Callable[[Answering], Asked]
    log: LogQuestion | None

    async def record(
        self,
        request: Request,
        generation: Generation,
        answer: Answer,
        shown: list[Similar],
        caller: str | None,
        metrics: InferenceMetrics,
    ) -> str | None:
        if self.log is None:
            return await record_answer(request, self.issue or "", answer, generation.served.version, shown, caller)
        answer_id, _, _ = await self.log.record(request, generation, answer, shown, caller, metrics)
        return answer_id


def _grounding(answer: Answer, answer_id: str | None) -> Grounding:
    """The same account of the answer as /resolve gives."""
    return Grounding(
        known_fix=answer.known_fix, based_on=answer.based_on, answer_source=answer.source, answer_id=answer_id
    )


def _usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    total = prompt_tokens + completion_tokens
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=total)


class TokenQueue:
    """Tokens from the engine thread to the streaming coroutine (made on the event loop's thread)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[int] = asyncio.Queue()

    def put(self, token: int) -> None:  # runs on the engine thread
        self._loop.call_soon_threadsafe(self._queue.put_nowait, token)

    def empty(self) -> bool:
        return self._queue.empty()

    async def get(self, timeout: float) -> int | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None


async def _stream(
    service: ModelService,
    generation: Generation,
    tokens: TokenQueue,
    completion_id: str,
    request: Request,
    question: Question,
    caller: str | None,
) -> AsyncIterator[str]:
    served = generation.served
    created = int(time.time())

    def chunk(delta: ChatDelta, finish_reason: FinishReason | None = None, grounding: Grounding | None = None) -> str:
        choice = ChunkChoice(delta=delta, finish_reason=finish_reason)
        body = ChatCompletionChunk(id=completion_id, created=created, model=served.version, choices=[choice])
        payload = body.model_dump(exclude_none=True)
        payload["choices"][0]["finish_reason"] = finish_reason  # null until the last chunk, as OpenAI sends it
        return f"data: {json.dumps({**payload, **(grounding.model_dump() if grounding else {})})}\n\n"

    yield chunk(ChatDelta(role="assistant", content=""))
    detokenizer = IncrementalText(served.tokenizer)
    try:
        while not (generation.future.done() and tokens.empty()):
            token = await tokens.get(timeout=0.5)
            if token is None:
                if await request.is_disconnected():
                    return
                service.check_deadline(generation)
                continue
            piece = detokenizer.add(token)
            if piece:
                yield chunk(ChatDelta(content=piece))
        result = await service.finish(generation)
        rest = detokenizer.rest(result.token_ids)
        if rest:
            yield chunk(ChatDelta(content=rest))
        answer = generation.answer(result)
        shown = generation.shown(answer)
        answer_id = await question.record(request, generation, answer, shown, caller, service.metrics)
        yield chunk(ChatDelta(), result.finish_reason, _grounding(answer, answer_id))  # the last one says what it was
    except Exception as error:  # the status line is sent: the error travels in the stream
        yield _error_event(error)
    finally:
        if not generation.future.done():
            generation.cancel()
    yield "data: [DONE]\n\n"


def _error_event(error: Exception) -> str:
    """OpenAI's error object as an SSE event."""
    if isinstance(error, ServiceError):
        error = as_api_error(error)
    if isinstance(error, ApiError):
        kind = "timeout" if error.status == 504 else "server_error" if error.status >= 500 else "invalid_request_error"
        body = {"message": error.message, "type": kind, "param": error.field, "code": error.status}
    else:
        log.exception("stream failed after it began")
        body = {"message": "internal error (logged on the server)", "type": "server_error", "param": None, "code": 500}
    return f"data: {json.dumps({'error': body})}\n\n"


class IncrementalText:
    """Text deltas from a growing token list, holding back incomplete UTF-8 and leading whitespace."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer, self.ids, self.sent = tokenizer, [], ""

    def add(self, token: int) -> str:
        self.ids.append(token)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True).lstrip()
        if text.endswith("\ufffd") or not text.startswith(self.sent):
            return ""
        piece, self.sent = text[len(self.sent) :], text
        return piece

    def rest(self, token_ids: list[int]) -> str:
        """What the finished answer adds to the text sent so far (tokens that arrived with no callback)."""
        text = self.tokenizer.decode(token_ids, skip_special_tokens=True).strip()
        return text[len(self.sent) :] if text.startswith(self.sent) else ""
