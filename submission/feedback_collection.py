"""Collect developers' feedback from VM2 into the pair store, for review (`make collect-feedback`).

VM1 pulls (VM2 never needs VM1's credentials): GET VM2_URL/feedback/export?after=<cursor> page by page; each page
is applied with the cursor in one transaction, so an interrupted run loses nothing and a repeated one stores
nothing twice. corrected → a pending pair (question → correction); accepted → a pending pair (question → the
answer: a new phrasing of a known fix); rejected → the pairs the answer was based on get one more rejection."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from resolver_core.settings import ConfigError, SubmissionSettings
from resolver_core.store import PairStore
from resolver_core.store.base import FeedbackItem, FeedbackPair
from resolver_core.validation import clean_pair
from submission.log_excerpts import checked_excerpt

log = logging.getLogger(__name__)
CURSOR = "vm2-feedback"
PAGE_SIZE = 200
TIMEOUT_S = 30.0


class CollectError(RuntimeError):
    """VM2 could not be read; nothing was changed by the page that failed."""


@dataclass
class CollectReport:
    cursor_before: int
    cursor_after: int = 0
    pages: int = 0
    outcomes: Counter = field(default_factory=Counter)
    pending_pair_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cursor_before": self.cursor_before,
            "cursor_after": self.cursor_after,
            "pages": self.pages,
            "outcomes": dict(self.outcomes),
            "pending_pair_ids": self.pending_pair_ids,
        }


def to_item(exported: dict[str, Any], min_length: int, max_length: int, max_log_excerpt: int = 4000) -> FeedbackItem:
    """What the store does with one exported verdict (validated like a submission); an answer to a whole log
    becomes a pair whose issue is the failure's headline line (trimmed to the limit) and whose log excerpt is the
    quoted lines."""
    answer_id, seq, verdict = exported["answer_id"], int(exported["seq"]), exported["verdict"]
    if verdict == "rejected":
        return FeedbackItem(answer_id, seq, verdict, flag_pair_ids=tuple(int(i) for i in exported["based_on"]))
    resolution = exported["correction"] if verdict == "corrected" else exported["answer"]
    log_excerpt = exported.get("log_excerpt")
    question = exported["question"][:max_length] if log_excerpt else exported["question"]
    try:
        issue, resolution = clean_pair(question, resolution, min_length, max_length)
        log_excerpt = checked_excerpt(log_excerpt[:max_log_excerpt] if log_excerpt else None, max_log_excerpt)
    except ValueError as error:
        return FeedbackItem(answer_id, seq, verdict, invalid=str(error))
    given_by = exported.get("given_by") or "anonymous developer"
    pair = FeedbackPair(
        issue, resolution, given_by, exported["model_version"], exported["answer"], exported.get("comment"), log_excerpt
    )
    return FeedbackItem(answer_id, seq, verdict, pair=pair)


def collect(store: PairStore, settings: SubmissionSettings, client: httpx.Client | None = None) -> CollectReport:
    """Pull every feedback page after the stored cursor; CollectError when VM2 cannot be read."""
    url, key = settings.vm2_url.rstrip("/"), settings.vm2_feedback_key.get_secret_value()
    if not url or not key:
        raise ConfigError(
            "set VM2_URL (e.g. http://vm2:5000) and VM2_FEEDBACK_KEY (a key of VM2's FEEDBACK_EXPORT_KEYS)"
        )
    report = CollectReport(cursor_before=store.cursor(CURSOR))
    report.cursor_after = report.cursor_before
    with client or httpx.Client(timeout=TIMEOUT_S) as http:
        while True:
            page = _fetch(http, url, key, report.cursor_after)
            if not page["items"]:
                return report
            items = [
                to_item(
                    e,
                    settings.submission_min_length,
                    settings.submission_max_length,
                    settings.submission_max_log_excerpt,
                )
                for e in page["items"]
            ]
            for outcome in store.apply_feedback(items, CURSOR, int(page["next_after"])):
                report.outcomes[outcome.outcome] += 1
                if outcome.outcome == "pending":
                    report.pending_pair_ids.append(outcome.pair_id)  # type: ignore[arg-type]
            report.cursor_after, report.pages = int(page["next_after"]), report.pages + 1
            log.info("feedback page collected", extra={"cursor": report.cursor_after, "items": len(items)})


def _fetch(http: httpx.Client, url: str, key: str, after: int) -> dict[str, Any]:
    try:
        response = http.get(
            f"{url}/feedback/export", params={"after": after, "limit": PAGE_SIZE}, headers={"X-API-Key": key}
        )
    except httpx.HTTPError as error:
        raise CollectError(f"VM2 is not reachable at {url}: {error}; nothing was changed") from None
    if response.status_code != 200:
        raise CollectError(f"VM2 refused the export ({response.status_code}): {_message(response)}")
    try:
        page = response.json()
        if not isinstance(page["items"], list) or not isinstance(page["next_after"], int):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise CollectError(f"{url}/feedback/export did not answer with a feedback page: is VM2_URL right?") from None
    return page


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text[:200]))
    except ValueError:
        return response.text[:200]


async def collect_periodically(store: PairStore, settings: SubmissionSettings) -> None:
    """The submission service's timer: collect, log the outcome (VM2 down is a warning, retried next time)."""
    while True:
        try:
            report = await asyncio.to_thread(collect, store, settings)
            log.info("feedback collected", extra=report.as_dict())
        except (CollectError, ConfigError) as error:
            log.warning("feedback not collected", extra={"error": str(error)})
        await asyncio.sleep(settings.feedback_collect_interval_s)
