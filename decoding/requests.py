"""One request while the engine decodes it: its tokens so far, where its next token goes in the KV cache, and how
one step's logits become its next tokens — the model's own choice at every row, a draft counted only as far as it
agrees with that choice (so drafts never change an answer, only how many tokens one step confirms)."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import torch

from decoding.drafts import propose_draft
from decoding.protocol import GenerationRequest, GenerationResult, RequestTimeoutError

# Below this, sampling is greedy up to exact ties, and logits / temperature overflows fp32 (inf, then NaN).
GREEDY_BELOW_TEMPERATURE = 1e-3
CONTINUES = "continues"  # what `Running.take` returns while the request has more to generate

Outcome = str | Exception | None  # a finish reason ("stop", "length"), CONTINUES, an error, or None: cancelled


@dataclass
class EngineStats:
    steps: int = 0
    rows: int = 0
    tokens: int = 0
    prefills: int = 0
    draft_tokens: int = 0
    accepted_draft_tokens: int = 0


@dataclass
class Running:
    """A submitted request and what the engine tracks while decoding it."""

    request: GenerationRequest
    future: Future = field(default_factory=Future)
    generated: list[int] = field(default_factory=list)
    position: int = 0  # where the last generated token goes in the KV cache
    generator: torch.Generator | None = None
    started_at: float = 0.0

    def draft(self, budget: int, max_positions: int, stats: EngineStats) -> list[int]:
        """The draft tokens to verify in the next step (greedy requests with drafts only), at most `budget`."""
        request = self.request
        if request.temperature > 0 or not request.drafts:
            return []
        cache_room = max_positions - 1 - self.position
        room = min(budget, request.max_new_tokens - len(self.generated), cache_room)
        draft = propose_draft(self.generated, request.drafts, room)
        stats.draft_tokens += len(draft)
        return draft

    def take(
        self, logits: torch.Tensor, draft: list[int], stop_ids: set[int], max_positions: int, stats: EngineStats
    ) -> Outcome:
        """Take the next token(s) from this request's rows of a step: the model's choice after its last token, then
        after each draft token that matched the model's choice."""
        request = self.request
        if request.cancelled:
            return None
        if time.monotonic() > request.deadline:
            return RequestTimeoutError("the request timed out while generating")
        checked = 0
        while True:
            token = self.pick(logits[checked])
            if token in stop_ids:
                return "stop"
            self.generated.append(token)
            stats.tokens += 1
            if request.on_token:
                request.on_token(token)
            if len(self.generated) >= request.max_new_tokens:
                return "length"
            if checked < len(draft) and draft[checked] == token:
                checked += 1  # the draft token fed at the next row is the model's own choice: its logits count
                stats.accepted_draft_tokens += 1
                continue
            break
        self.position += checked + 1
        return "length" if self.position >= max_positions else CONTINUES

    def pick(self, logits: torch.Tensor) -> int:
        temperature = self.request.temperature
        if temperature < GREEDY_BELOW_TEMPERATURE:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        return int(torch.multinomial(probs, 1, generator=self.generator))

    def result(self, finish_reason: str) -> GenerationResult:
        request = self.request
        return GenerationResult(
            token_ids=self.generated,
            finish_reason=finish_reason,
            prompt_tokens=len(request.prompt_ids),
            queued_s=self.started_at - request.submitted_at,
            generation_s=time.monotonic() - self.started_at,
        )


def cancel(future: Future) -> None:
    """Cancel a request's future and wake whoever waits on it (`result()` and `concurrent.futures.wait` alike)."""
    future.cancel()
    future.set_running_or_notify_cancel()
