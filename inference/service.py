"""The served version and its lifecycle: generation calls from the API, hot reload with an atomic swap.

It talks to the decode loop only through decoding/protocol.py's ServingEngine, and raises inference/errors.py's
errors (no HTTP here: inference/http_errors.py maps them)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from decoding.answer import Answer, Answering, Asked
from decoding.protocol import (
    EngineStoppedError,
    GenerationRequest,
    GenerationResult,
    QueueFullError,
    RequestTimeoutError,
)
from inference.errors import AnswerTimedOut, ModelSwapping, NoModelLoaded, ReloadRunning, ServerBusy
from inference.loading import BaseFingerprints, ServedModel, load_served_model
from inference.metrics import InferenceMetrics
from resolver_core.retrieval import Similar
from resolver_core.settings import InferenceSettings
from resolver_core.validation import FieldError

log = logging.getLogger(__name__)
TIMEOUT_GRACE_S = 5.0


@dataclass
class Generation:
    served: ServedModel
    request: GenerationRequest
    future: asyncio.Future
    asked: Asked  # the question's evidence and prompt; `asked.verbatim`: the closest known fix is the answer
    answering: Answering  # the served version's answering it was asked with (questions or whole logs)

    def cancel(self) -> None:
        self.request.cancelled = True

    def answer(self, result: GenerationResult) -> Answer:
        return self.answering.answer(self.asked, result)

    def shown(self, answer: Answer) -> list[Similar]:
        """The evidence listed (and recorded) beside the answer."""
        return self.answering.shown(self.asked, answer)


class ModelService:
    def __init__(self, settings: InferenceSettings, metrics: InferenceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._fingerprints = BaseFingerprints()
        self._current: ServedModel | None = None
        self._reload_lock = threading.Lock()
        self._reload: dict = {"state": "idle"}

    def load(self, name: str) -> ServedModel:
        """Initial load; raises VersionRefusedError (the server then refuses to start)."""
        served = self._load(name)
        self._current = served
        self.metrics.serving(served.version, served.base_id, served.dtype)
        return served

    def _load(self, name: str) -> ServedModel:
        return load_served_model(self.settings, name, self._fingerprints, self.metrics.batch_rows.observe)

    @property
    def current(self) -> ServedModel:
        if self._current is None:
            raise NoModelLoaded("no model loaded yet")
        return self._current

    @property
    def ready(self) -> bool:
        return self._current is not None

    def start(
        self,
        issue: str,
        max_new_tokens: int | None,
        temperature: float,
        seed: int | None,
        field: str,
        on_token: Callable[[int], None] | None = None,
        limit_field: str = "max_new_tokens",
    ) -> Generation:
        """Queue a generation on the current version (FieldError, ServerBusy, ModelSwapping); await `finish`.

        `field` / `limit_field` name the request fields that carry the issue and the token limit (for 422s)."""
        ask = partial(Answering.ask, question=issue, field=field)
        return self.start_asking(ask, max_new_tokens, temperature, seed, on_token, limit_field)

    def start_asking(
        self,
        ask: Callable[[Answering], Asked],
        max_new_tokens: int | None,
        temperature: float = 0.0,
        seed: int | None = None,
        on_token: Callable[[int], None] | None = None,
        limit_field: str = "max_new_tokens",
        whole_log: bool = False,
    ) -> Generation:
        """`start` for any question: `ask` turns the current version's answering into the question's evidence and
        prompt (a sentence, or with `whole_log` a log's failure block, under the version's log threshold)."""
        limit = self.settings.inference_max_new_tokens
        if max_new_tokens is not None and max_new_tokens > limit:
            raise FieldError(limit_field, f"must be at most {limit} (INFERENCE_MAX_NEW_TOKENS)")
        for _ in range(2):  # a reload may retire the engine between reading `current` and submitting
            served = self.current
            answering = served.log_answering if whole_log else served.answering
            asked = ask(answering)
            if asked.verbatim:
                return self._verbatim(served, answering, asked, max_new_tokens or limit, on_token)
            deadline = time.monotonic() + self.settings.inference_request_timeout_s
            request = answering.request(asked, max_new_tokens or limit, temperature, seed, deadline, on_token)
            try:
                future = served.engine.submit(request)
            except QueueFullError as error:
                self.metrics.requests.labels("queue_full").inc()
                raise ServerBusy(f"server busy: {error}") from None
            except EngineStoppedError:
                continue
            self.metrics.queue_depth.set(served.engine.queue_depth)
            return Generation(served, request, asyncio.wrap_future(future), asked, answering)
        raise ModelSwapping("the model is being swapped; retry")

    def _verbatim(
        self,
        served: ServedModel,
        answering: Answering,
        asked: Asked,
        max_new_tokens: int,
        on_token: Callable[[int], None] | None,
    ) -> Generation:
        """The closest known fix as an already finished generation (streamed like generated tokens)."""
        result = answering.verbatim(asked, max_new_tokens, on_token)
        future = asyncio.get_running_loop().create_future()
        future.set_result(result)
        request = GenerationRequest(prompt_ids=asked.prompt_ids, max_new_tokens=len(result.token_ids))
        return Generation(served, request, future, asked, answering)

    async def finish(self, generation: Generation) -> GenerationResult:
        try:
            result = await asyncio.wait_for(
                asyncio.shield(generation.future), self.settings.inference_request_timeout_s + TIMEOUT_GRACE_S
            )
        except (TimeoutError, RequestTimeoutError):
            raise self._timed_out(generation) from None
        except asyncio.CancelledError:
            generation.cancel()  # the client went away: free the slot
            raise
        self.metrics.requests.labels(result.finish_reason).inc()
        self.metrics.generated_tokens.inc(len(result.token_ids))
        self.metrics.queue_seconds.observe(result.queued_s)
        return result

    def check_deadline(self, generation: Generation) -> None:
        """AnswerTimedOut once a generation runs past its deadline and the grace (the engine ends it first)."""
        if time.monotonic() > generation.request.deadline + TIMEOUT_GRACE_S:
            raise self._timed_out(generation)

    def _timed_out(self, generation: Generation) -> AnswerTimedOut:
        generation.cancel()
        self.metrics.requests.labels("timeout").inc()
        timeout = self.settings.inference_request_timeout_s
        return AnswerTimedOut(f"no answer within {timeout:g}s (INFERENCE_REQUEST_TIMEOUT_S)")

    # --- hot reload ---------------------------------------------------------------------------------------------

    def reload_status(self) -> dict:
        serving = self._current.version if self._current else ""
        return {**self._reload, "serving": serving}

    def start_reload(self, name: str, requested_by: str) -> dict:
        with self._reload_lock:
            if self._reload.get("state") == "loading":
                raise ReloadRunning(f"a reload of {self._reload['requested']!r} is already running", "version")
            self._reload = {
                "state": "loading",
                "requested": name,
                "requested_by": requested_by,
                "started_at": time.time(),
                "error": None,
                "finished_at": None,
            }
        threading.Thread(target=self._reload_in_background, args=(name,), name="reload", daemon=True).start()
        return self.reload_status()

    def _reload_in_background(self, name: str) -> None:
        try:
            served = self._load(name)
        except Exception as error:  # refused or broken, the old version keeps serving
            log.error(
                "reload refused; still serving the previous version",
                extra={
                    "requested": name,
                    "error": str(error),
                    "serving": self._current.version if self._current else None,
                },
            )
            self.metrics.reloads.labels("failed").inc()
            self._reload.update(state="failed", error=str(error), finished_at=time.time())
            return
        previous, self._current = self._current, served  # one reference swap: new requests go to the new engine
        self.metrics.serving(served.version, served.base_id, served.dtype)
        self.metrics.reloads.labels("succeeded").inc()
        self._reload.update(state="succeeded", finished_at=time.time())
        log.info("reloaded", extra={"version": served.version, "previous": previous.version if previous else None})
        if previous is not None:
            previous.engine.stop(drain=True)  # finishes the requests it already accepted

    def close(self) -> None:
        if self._current is not None:
            self._current.engine.stop(drain=False, timeout=5)
