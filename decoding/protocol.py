"""The serving-engine seam: what the HTTP service needs from a decode loop, and nothing about how it decodes.

Token ids in (the prompt, rendered by resolver_core.prompt with the version's tokenizer, and optional drafts),
token ids out: the whole answer as a Future, and each new token to `on_token` while it is generated (streaming).
The in-process engine (decoding/engine.py: continuous batching over a Decoder — decoding/decoder.py in torch, or
decoding/llamacpp.py with llama.cpp over a GGUF) implements it; another backend (a remote vLLM, which also takes
prompt token ids) would implement the same Protocol, and the service, its routes and its error mapping stay as they
are.

The errors below are the seam's vocabulary; the service turns them into its own (inference/errors.py), and the
HTTP layer alone turns those into status codes (inference/http_errors.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch


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


class Decoder(Protocol):
    """What the in-process engine (decoding/engine.py) decodes with: KV-cache slots, one more for the shared prompt
    prefix, and steps of rows from several slots. decoding/decoder.py implements it in torch over merged weights,
    decoding/llamacpp.py over a GGUF with llama.cpp."""

    kind: str  # "torch" or "llama.cpp", for GET /version
    slots: int
    step_rows: int  # the most rows one decode step takes
    prefix_slot: int
    max_positions: int
    dtype: Any  # a torch dtype, or a GGUF's quantization name

    def prefill(self, slot: int, tokens: list[int], start: int = 0) -> torch.Tensor:
        """Evaluate `tokens` into `slot` from position `start`: the last token's next-token logits."""
        ...

    def decode(self, tokens: torch.Tensor, positions: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        """One step: each row's token at its position in its slot; every row's next-token logits."""
        ...

    def copy_slot(self, source: int, target: int, length: int) -> None:
        """`target` holds `source`'s first `length` positions."""
        ...

    def describe(self) -> dict[str, object]:
        """The decoder's own settings for GET /version."""
        ...
