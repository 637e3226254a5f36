"""Continuous batching with draft verification: one worker thread decodes every active request together.

A request is prefilled alone into a free KV-cache slot (after the shared prompt prefix is copied in), then joins
the next decode step; a finished request frees its slot at once, so a long answer never holds short ones back.

Drafts (retrieval-based speculative decoding): a request may carry candidate continuations — the resolutions of
the nearest known pairs, which trained answers reproduce. Each step feeds a greedy row its last token plus the
draft's next tokens; the model's own greedy choice is kept at every position, and the draft is accepted only as
far as it agrees. Every step runs at the decoder's fixed row count anyway, so draft rows cost little.

Answers are identical to one-at-a-time plain greedy decoding, with or without neighbours or drafts: every token
row's arithmetic is independent of the other rows in its step by construction (fixed-shape products, see
decoding/linear.py, and per-row attention), checked at start-up by decoding/exactness.py. That check must pass
on every CPU and dtype; were it ever to fail, batching and drafts are turned off rather than answers changed.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import torch

from decoding.protocol import (
    Decoder,
    EngineStoppedError,
    GenerationRequest,
    GenerationResult,
    QueueFullError,
    RequestTimeoutError,
)
from decoding.requests import CONTINUES, EngineStats, Outcome, Running, cancel

__all__ = ["Engine", "EngineStats", "GenerationRequest", "GenerationResult", "common_prefix", "step_rows_for"]

log = logging.getLogger(__name__)


MAX_STEP_ROWS = 16  # token rows per decode step with drafts (more only when INFERENCE_MAX_BATCH is larger)


def step_rows_for(max_batch: int, draft_tokens: int) -> int:
    """The decoder's fixed step size: room for every request's row, plus drafts up to MAX_STEP_ROWS."""
    return max(max_batch, min(MAX_STEP_ROWS, max_batch * (1 + draft_tokens)))


class Engine:
    """The in-process ServingEngine (decoding/protocol.py): owns a decoder and its worker thread."""

    def __init__(
        self,
        decoder: Decoder,
        stop_ids: set[int],
        prefix_ids: list[int],
        max_batch: int,
        queue_size: int,
        observe_step: Callable[[int], None] | None = None,
        draft_tokens: int = 0,
    ) -> None:
        self.decoder = decoder
        self.stop_ids = stop_ids
        self.max_batch = min(max_batch, decoder.slots)
        self.draft_tokens = draft_tokens
        self.stats = EngineStats()
        self._observe_step = observe_step
        self._pending: queue.Queue[Running] = queue.Queue(maxsize=queue_size)
        self._active: list[Running] = []
        self._stopping = threading.Event()
        self.prefix_ids = list(prefix_ids)
        if self.prefix_ids:
            decoder.prefill(decoder.prefix_slot, self.prefix_ids)
        self._thread = threading.Thread(target=self._run, name="inference-engine", daemon=True)

    def start(self) -> Engine:
        self._thread.start()
        return self

    @property
    def queue_depth(self) -> int:
        return self._pending.qsize()

    @property
    def active(self) -> int:
        return len(self._active)

    def describe(self) -> dict[str, object]:
        return {
            "engine": self.decoder.kind,
            **self.decoder.describe(),
            "max_batch": self.max_batch,
            "draft_tokens": self.draft_tokens,
        }

    def submit(self, request: GenerationRequest) -> Future:
        if self._stopping.is_set():
            raise EngineStoppedError("the engine is shutting down")
        if len(request.prompt_ids) + 1 >= self.decoder.max_positions:
            limit = self.decoder.max_positions - 1
            raise ValueError(f"the prompt has {len(request.prompt_ids)} tokens; the limit is {limit}")
        running = Running(request)
        try:
            self._pending.put_nowait(running)
        except queue.Full:
            raise QueueFullError(f"{self._pending.maxsize} requests are already waiting; retry shortly") from None
        return running.future

    def stop(self, drain: bool = True, timeout: float = 300.0) -> None:
        """Stop accepting; with `drain`, finish what was accepted first (used when a reload retires this engine)."""
        self._stopping.set()
        if not drain:
            self._fail_all(EngineStoppedError("the engine was stopped"))
        self._thread.join(timeout)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Synchronous convenience (benchmarks, warm-up): submit and wait."""
        return self.submit(request).result()

    # --- worker thread -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                self._admit()
                if self._active:
                    self._step()
                elif self._stopping.is_set() and self._pending.empty():
                    return
                else:
                    self._wait_for_work()
            except Exception as error:  # a bug must fail the requests, not hang them
                log.exception("engine step failed")
                self._fail_all(error)

    def _wait_for_work(self) -> None:
        try:
            running = self._pending.get(timeout=0.2)
        except queue.Empty:
            return
        self._start(running)

    def _admit(self) -> None:
        while len(self._active) < self.max_batch:
            try:
                running = self._pending.get_nowait()
            except queue.Empty:
                return
            self._start(running)

    def _start(self, running: Running) -> None:
        request = running.request
        if running.future.done():
            return
        if request.cancelled:
            cancel(running.future)
            return
        if time.monotonic() > request.deadline:
            running.future.set_exception(RequestTimeoutError("the request timed out while queued"))
            return
        slot = len(self._active)
        running.started_at = time.monotonic()
        try:
            if request.temperature > 0:
                seed = request.seed if request.seed is not None else secrets.randbits(63)
                running.generator = torch.Generator().manual_seed(seed)
            logits = self._prefill(slot, request.prompt_ids)
        except Exception as error:  # this request fails alone; the others keep their slots
            log.exception("request failed at prefill")
            running.future.set_exception(error)
            return
        self.stats.prefills += 1
        running.position = len(request.prompt_ids) - 1  # Running.take advances it past the one row it checks
        self._active.append(running)
        self._accept_or_fail(len(self._active) - 1, logits.unsqueeze(0), [])

    def _accept_or_fail(self, index: int, logits: torch.Tensor, draft: list[int]) -> None:
        """Row `index` takes its next token(s) (Running.take) and finishes when it stops; an error in one request's
        token choice fails that request alone."""
        running = self._active[index]
        try:
            outcome = running.take(logits, draft, self.stop_ids, self.decoder.max_positions, self.stats)
        except Exception as error:
            log.exception("request failed while generating")
            outcome = error
        if outcome != CONTINUES:
            self._finish(index, outcome)

    def _prefill(self, slot: int, prompt_ids: list[int]) -> torch.Tensor:
        shared = common_prefix(self.prefix_ids, prompt_ids)
        shared = min(shared, len(prompt_ids) - 1)  # at least one token must run to give the first logits
        if shared:
            self.decoder.copy_slot(self.decoder.prefix_slot, slot, shared)
        return self.decoder.prefill(slot, prompt_ids[shared:], start=shared)

    def _step(self) -> None:
        rows = self._active
        budget = self._draft_budget(len(rows))
        tokens: list[int] = []
        positions: list[int] = []
        slots: list[int] = []
        spans: list[tuple[int, list[int]]] = []
        for slot, running in enumerate(rows):
            draft = running.draft(budget, self.decoder.max_positions, self.stats)
            spans.append((len(tokens), draft))
            tokens += [running.generated[-1], *draft]
            positions += range(running.position, running.position + 1 + len(draft))
            slots += [slot] * (1 + len(draft))
        logits = self.decoder.decode(torch.tensor(tokens), torch.tensor(positions), torch.tensor(slots))
        self.stats.steps += 1
        self.stats.rows += len(rows)
        if self._observe_step:
            self._observe_step(len(rows))
        # Walk backwards: finishing a row moves the last row into its slot.
        for index in range(len(rows) - 1, -1, -1):
            start, draft = spans[index]
            self._accept_or_fail(index, logits[start : start + 1 + len(draft)], draft)

    def _draft_budget(self, rows: int) -> int:
        return max(0, min(self.draft_tokens, (self.decoder.step_rows - rows) // rows))

    def _finish(self, index: int, outcome: Outcome) -> None:
        running = self._active[index]
        last = len(self._active) - 1
        if index != last:
            moved = self._active[last]
            self.decoder.copy_slot(last, index, moved.position)
            self._active[index] = moved
        self._active.pop()
        if running.future.done():
            return
        if isinstance(outcome, Exception):
            running.future.set_exception(outcome)
        elif outcome is None:
            cancel(running.future)
        else:
            running.future.set_result(running.result(outcome))

    def _fail_all(self, error: Exception) -> None:
        for running in self._active:
            if not running.future.done():
                running.future.set_exception(error)
        self._active.clear()
        while True:
            try:
                running = self._pending.get_nowait()
            except queue.Empty:
                return
            if not running.future.done():
                running.future.set_exception(error)


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens the two sequences share before they first differ."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
