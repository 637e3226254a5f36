"""The llama.cpp ServingEngine: a version's GGUF (decoding/gguf.py) decoded by llama.cpp, one request at a time.

One at a time, because that is what keeps an answer a function of its prompt alone: llama.cpp picks its matrix
kernels by how many rows a batch has, so a row decoded beside others is not bit-identical to the same row alone.
For the same reason every prompt is evaluated the same way whatever came before it: the shared prompt prefix
(system message and template header) as one batch from an empty cache — kept in the cache and reused while it is
there — then the rest of the prompt, then one token per step.

Token choice is decoding/requests.py's, the in-process engine's: greedy by argmax, sampling by the request's seed,
the same stop, length, deadline and cancel rules. The bounded queue, QueueFullError, EngineStoppedError and a
failing request failing alone behave as decoding/engine.py's do.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import torch

from decoding.protocol import (
    EngineStoppedError,
    GenerationRequest,
    GenerationResult,
    QueueFullError,
    RequestTimeoutError,
)
from decoding.requests import CONTINUES, EngineStats, Outcome, Running

__all__ = ["LlamaCppEngine", "LlamaCppUnavailableError", "llama_cpp_version", "llama_module"]

log = logging.getLogger(__name__)


class LlamaCppUnavailableError(RuntimeError):
    """llama-cpp-python is not installed (or does not load on this machine)."""


def llama_module() -> Any:
    """The llama_cpp package (imported on first use: it loads llama.cpp's shared library)."""
    try:
        import llama_cpp
    except (ImportError, OSError) as error:  # OSError: the shared library was built for another CPU or libc
        raise LlamaCppUnavailableError(f"llama-cpp-python is not usable here ({error}): run `make llamacpp`") from None
    return llama_cpp


def llama_cpp_version() -> str | None:
    """The installed llama-cpp-python's version, or None when it cannot be loaded."""
    try:
        return str(llama_module().__version__)
    except LlamaCppUnavailableError:
        return None


class LlamaCppEngine:
    """ServingEngine over llama.cpp: owns a llama.cpp context and the worker thread that alone touches it."""

    max_batch = 1

    def __init__(
        self,
        gguf_path: Path,
        stop_ids: set[int],
        prefix_ids: list[int],
        max_positions: int,
        queue_size: int,
        threads: int,
        observe_step: Callable[[int], None] | None = None,
    ) -> None:
        llama_cpp = self._lib = llama_module()
        self.gguf_path = Path(gguf_path)
        self.stop_ids = stop_ids
        self.prefix_ids = list(prefix_ids)
        self.max_positions = max_positions
        self.threads = threads
        self.stats = EngineStats()
        self._observe_step = observe_step
        self._llm = llama_cpp.Llama(
            model_path=str(self.gguf_path),
            n_ctx=max_positions,
            n_batch=512,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        self._vocab = self._llm.n_vocab()
        self._prefix_cached = False
        self._pending: queue.Queue[Running] = queue.Queue(maxsize=queue_size)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llamacpp-engine", daemon=True)

    def start(self) -> LlamaCppEngine:
        self._thread.start()
        return self

    @property
    def queue_depth(self) -> int:
        return self._pending.qsize()

    def describe(self) -> dict[str, object]:
        return {
            "engine": "llama.cpp",
            "max_batch": self.max_batch,
            "gguf": self.gguf_path.name,
            "threads": self.threads,
            "llama_cpp_python": llama_cpp_version(),
        }

    def submit(self, request: GenerationRequest) -> Future:
        if self._stopping.is_set():
            raise EngineStoppedError("the engine is shutting down")
        if len(request.prompt_ids) + 1 >= self.max_positions:
            limit = self.max_positions - 1
            raise ValueError(f"the prompt has {len(request.prompt_ids)} tokens; the limit is {limit}")
        running = Running(request)
        try:
            self._pending.put_nowait(running)
        except queue.Full:
            raise QueueFullError(f"{self._pending.maxsize} requests are already waiting; retry shortly") from None
        return running.future

    def generate(self, request: GenerationRequest) -> GenerationResult:
        return self.submit(request).result()

    def stop(self, drain: bool = True, timeout: float = 300.0) -> None:
        self._stopping.set()
        if not drain:
            self._fail_pending(EngineStoppedError("the engine was stopped"))
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._llm.close()

    # --- worker thread -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                running = self._pending.get(timeout=0.2)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            try:
                self._serve(running)
            except Exception:  # e.g. a future cancelled while it was settled: the worker must go on
                log.exception("llama.cpp engine could not settle a request")

    def _serve(self, running: Running) -> None:
        request = running.request
        if running.future.done():
            return
        if request.cancelled:
            _cancel(running.future)
            return
        if time.monotonic() > request.deadline:
            running.future.set_exception(RequestTimeoutError("the request timed out while queued"))
            return
        running.started_at = time.monotonic()
        try:
            outcome = self._decode(running)
        except Exception as error:  # this request fails alone; the context is rebuilt from the prefix next time
            log.exception("llama.cpp request failed")
            self._prefix_cached = False
            outcome = error
        self._settle(running, outcome)

    def _decode(self, running: Running) -> Outcome:
        request = running.request
        if request.temperature > 0:
            seed = request.seed if request.seed is not None else secrets.randbits(63)
            running.generator = torch.Generator().manual_seed(seed)
        logits = self._prefill(request.prompt_ids)
        self.stats.prefills += 1
        running.position = len(request.prompt_ids) - 1
        while True:
            outcome = running.take(logits, [], self.stop_ids, self.max_positions, self.stats)
            if outcome != CONTINUES:
                return outcome
            logits = self._step(running.generated[-1])

    def _prefill(self, prompt_ids: list[int]) -> torch.Tensor:
        prefix = len(self.prefix_ids)
        if prefix and len(prompt_ids) > prefix and prompt_ids[:prefix] == self.prefix_ids:
            if not self._prefix_cached:
                self._llm.reset()
                self._llm.eval(self.prefix_ids)
                self._prefix_cached = True
            self._llm.n_tokens = prefix  # eval() drops the cache past n_tokens: the prefix stays
            self._llm.eval(prompt_ids[prefix:])
        else:
            self._prefix_cached = False
            self._llm.reset()
            self._llm.eval(prompt_ids)
        return self._last_logits()

    def _step(self, token: int) -> torch.Tensor:
        self._llm.eval([token])
        self.stats.steps += 1
        self.stats.rows += 1
        if self._observe_step:
            self._observe_step(1)
        return self._last_logits()

    def _last_logits(self) -> torch.Tensor:
        row = np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self._llm.ctx, -1), shape=(self._vocab,))
        return torch.from_numpy(row.copy()).unsqueeze(0)

    def _settle(self, running: Running, outcome: Outcome) -> None:
        if running.future.done():
            return
        if isinstance(outcome, Exception):
            running.future.set_exception(outcome)
        elif outcome is None:
            _cancel(running.future)
        else:
            running.future.set_result(running.result(outcome))

    def _fail_pending(self, error: Exception) -> None:
        while True:
            try:
                running = self._pending.get_nowait()
            except queue.Empty:
                return
            if not running.future.done():
                running.future.set_exception(error)


def _cancel(future: Future) -> None:
    """Cancel, and wake whoever waits on it through concurrent.futures.wait as well as through result()."""
    future.cancel()
    future.set_running_or_notify_cancel()
