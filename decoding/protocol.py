"""The serving-engine seam: what the HTTP service needs from a decode loop, and nothing about how it decodes.

Token ids in (the prompt, rendered by resolver_core.prompt with the version's tokenizer, and optional drafts),
token ids out: the whole answer as a Future, and each new token to `on_token` while it is generated (streaming).
The in-process engine (decoding/engine.py: continuous batching over decoding/decoder.py) implements it; a second
backend — llama.cpp over a GGUF, or a remote vLLM, both of which take prompt token ids — implements the same
Protocol and the service, its routes and its error mapping stay as they are.

The errors below are the seam's vocabulary; the service turns them into its own (inference/errors.py), and the
HTTP layer alone turns those into status codes (inference/http_errors.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class QueueFullError(RuntimeError):
    """Too many requests waiting: the caller should retry later."""


class RequestTimeoutError(RuntimeError):
    """The request waited or ran past its deadline."""


class EngineStoppedError(RuntimeError):
    """The engine was shut down (a reload retired it) before this request started."""


@dataclass
class GenerationRequest:
    prompt_ids: list[int]
    max_new_tokens: int
    temperature: float = 0.0  # 0 = greedy: the same prompt gives the same answer
    deadline: float = float("inf")  # time.monotonic() after which the engine gives up (RequestTimeoutError)
    seed: int | None = None
    on_token: Callable[[int], None] | None = None  # called on the engine's thread for each new token
    drafts: list[list[int]] = field(default_factory=list)  # likely continuations, best first (a backend may ignore)
    cancelled: bool = False  # set by the caller (client went away): the engine frees the request's slot
    submitted_at: float = field(default_factory=time.monotonic)


@dataclass
class GenerationResult:
    token_ids: list[int]
    finish_reason: str  # "stop" (end of turn) or "length"
    prompt_tokens: int
    queued_s: float
    generation_s: float


@runtime_checkable
class ServingEngine(Protocol):
    max_batch: int  # requests decoded together (1 = one at a time)

    @property
    def queue_depth(self) -> int:
        """Requests accepted and not started yet."""
        ...

    def submit(self, request: GenerationRequest) -> Future[GenerationResult]:
        """Thread-safe; QueueFullError when full, EngineStoppedError once stopping. The Future fails with
        RequestTimeoutError past the deadline, and is cancelled when the request is."""
        ...

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Submit and wait (warm-up, benchmarks)."""
        ...

    def stop(self, drain: bool = True, timeout: float = 300.0) -> None:
        """Stop accepting; with `drain`, finish what was accepted first."""
        ...

    def describe(self) -> dict[str, object]:
        """The engine's settings for GET /version (kind, max_batch and whatever else the backend has)."""
        ...
