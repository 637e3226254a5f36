"""POST /resolve/log: a whole CI job log in, the failure found in it and the team's fix (or a suggestion) out;
GET /log-recurrences: which failures keep coming back.

The log is read as a stream (inference/log_body.py), its failure blocks found by joblog in a worker process, and
the question answered by the same path as /resolve. The raw log is never stored or logged: the answer's record
keeps its sha256, the failure's fingerprint and the quoted lines, redacted.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter, Query, Request

from decoding.answer import Answer, Answering, Asked
from inference.deps import Caller, Service, Settings
from inference.feedback_routes import feedback_store, record_answer
from inference.feedback_store import LogEvidence
from inference.log_body import ACCEPTED_TYPES, read_log
from inference.metrics import InferenceMetrics
from inference.routes import answer_fields
from inference.schemas import (
    LogResolveResponse,
    LogSummary,
    QuotedLine,
    RecentCount,
    RecurrencePage,
    SignatureBlock,
)
from inference.service import Generation
from joblog import Block, Extraction, LogLimits, extract, fingerprint, headline, signature
from resolver_core.http import ApiError
from resolver_core.openapi import error_responses
from resolver_core.processes import exit_with_parent
from resolver_core.retrieval import Similar
from resolver_core.settings import InferenceSettings

router = APIRouter()
MAX_RECURRENCES = 100
RECENT_DAYS = 7  # a log answer says how often its failure was sent in this many last days
EXTRACTION_WORKERS = 2
EXTRACTING = asyncio.Semaphore(EXTRACTION_WORKERS)  # logs cleaned at once: each needs about twice its size meanwhile
_extractor: ProcessPoolExecutor | None = None
LOG_BODY = {
    "requestBody": {
        "required": True,
        "description": "The raw job log (gzip allowed: Content-Encoding: gzip or a gzip body). Limits: "
        "INFERENCE_MAX_LOG_BYTES after decompression, INFERENCE_MAX_LOG_GZIP_RATIO.",
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in ACCEPTED_TYPES},
    }
}


def log_limits(settings: InferenceSettings) -> LogLimits:
    return LogLimits(max_line_chars=settings.inference_max_log_line_chars)


@dataclass(frozen=True)
class LogQuestion:
    """A whole log on its way to an answer: its failure blocks, then what is quoted and kept of it."""

    extraction: Extraction
    limits: LogLimits

    def ask(self) -> Callable[[Answering], Asked]:
        candidates, chars = self.extraction.candidates, self.limits.max_question_chars
        return partial(Answering.ask_log, candidates=candidates, max_question_chars=chars)

    def quoted(self, chosen: Block) -> list[Block]:
        return signature(self.extraction.candidates, chosen, self.limits)

    def evidence(self, chosen: Block, quoted: list[Block]) -> LogEvidence:
        """What VM2 keeps of the log: its hash, the failure's fingerprint, the quoted lines (redacted)."""
        text = "\n\n".join(block.text for block in quoted)
        return LogEvidence(self.extraction.sha256, fingerprint(chosen), text)

    async def record(
        self,
        request: Request,
        generation: Generation,
        answer: Answer,
        shown: list[Similar],
        caller: str | None,
        metrics: InferenceMetrics,
    ) -> tuple[str | None, list[Block], LogEvidence]:
        """Record a log answer (its headline as the question, the evidence above); its id, the quoted blocks and
        what was kept."""
        chosen: Block = generation.asked.log_block  # type: ignore[assignment]
        quoted = self.quoted(chosen)
        version = generation.served.version
        evidence = self.evidence(chosen, quoted)
        answer_id = await record_answer(request, headline(chosen), answer, version, shown, caller, evidence)
        metrics.log_answers.labels(str(answer.based_on[0]) if answer.based_on else "none").inc()
        return answer_id, quoted, evidence

    @staticmethod
    async def recent(request: Request, evidence: LogEvidence) -> RecentCount | None:
        """How often this failure was sent lately (None when the answers' record cannot be read)."""
        since = time.time() - RECENT_DAYS * 86400
        try:
            count = await asyncio.to_thread(feedback_store(request).times_seen, evidence.fingerprint, since)
        except sqlite3.Error:
            return None
        return RecentCount(days=RECENT_DAYS, count=count)


def close_extractor() -> None:
    """Stop the extraction worker processes (the app's shutdown)."""
    global _extractor
    if _extractor is not None:
        _extractor.shutdown(wait=True, cancel_futures=True)
        _extractor = None


def _extraction_workers() -> ProcessPoolExecutor:
    global _extractor
    if _extractor is None:  # spawned, not forked: the serving process holds torch's threads
        context = multiprocessing.get_context("spawn")
        _extractor = ProcessPoolExecutor(
            EXTRACTION_WORKERS, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
        )
    return _extractor


async def log_question(data: bytes | bytearray, settings: InferenceSettings, field: str) -> LogQuestion:
    """The log's failure blocks, found in a worker process (pure Python would hold this process's interpreter lock
    and stall every other request meanwhile); 422 naming `field` when no line reads like one."""
    limits = log_limits(settings)
    log = bytes(data)
    if isinstance(data, bytearray):
        data.clear()  # the body's buffer is not needed after
    async with EXTRACTING:
        extraction = await asyncio.get_running_loop().run_in_executor(_extraction_workers(), extract, log, limits)
    if not extraction.candidates:
        raise ApiError(422, f"{field}: no line of the log reads like a failure (nothing to answer)", field)
    return LogQuestion(extraction, limits)


@router.post(
    "/resolve/log",
    response_model=LogResolveResponse,
    tags=["resolve"],
    responses=error_responses(400, 401, 413, 415, 422, 503, 504),
    openapi_extra=LOG_BODY,
)
async def resolve_log(
    request: Request,
    service: Service,
    settings: Settings,
    caller: Caller,
    max_new_tokens: int | None = Query(None, ge=1, description="Longest answer in tokens."),
) -> LogResolveResponse:
    """Find the failure in a whole CI job log and answer it like /resolve, with the log lines it matched.

    `curl --data-binary @job.log -H 'Content-Type: text/plain' http://vm2:5000/resolve/log`"""
    started = time.perf_counter()
    question = await log_question(await read_log(request, settings), settings, "body")
    generation = service.start_asking(question.ask(), max_new_tokens, whole_log=True)
    result = await service.finish(generation)
    asked, served = generation.asked, generation.served
    answer = generation.answer(result)
    similar = generation.shown(answer)
    answer_id, quoted, kept = await question.record(request, generation, answer, similar, caller, service.metrics)
    extraction = question.extraction
    summary = LogSummary(
        bytes=extraction.bytes,
        lines=extraction.lines,
        sha256=extraction.sha256,
        fingerprint=kept.fingerprint,
        signature=[_block_of(block) for block in quoted],
        recent=await question.recent(request, kept),
    )
    fields = answer_fields(asked.question, answer, served.version, similar, result, answer_id, started)
    return LogResolveResponse(**fields, log=summary)


@router.get("/log-recurrences", response_model=RecurrencePage, tags=["resolve"], responses=error_responses(401, 422))
async def log_recurrences(
    request: Request,
    _: Caller,
    days: float = Query(7.0, gt=0, le=365, description="Count the log answers of this many last days."),
) -> RecurrencePage:
    """Failures sent as whole logs, counted per fingerprint and per known pair: which ones keep coming back."""
    store = feedback_store(request)
    since = time.time() - days * 86400
    fingerprints, per_pair = await asyncio.to_thread(store.recurrences, since, MAX_RECURRENCES)
    return RecurrencePage(days=days, fingerprints=fingerprints, known_pairs=per_pair)  # type: ignore[arg-type]


def _block_of(block: Block) -> SignatureBlock:
    lines = [QuotedLine(number=line.number, text=line.text) for line in block.lines]
    return SignatureBlock(first_line=block.first, last_line=block.last, lines=lines)
