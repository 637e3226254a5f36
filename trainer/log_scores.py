"""Every version scored on whole job logs, and its known-fix threshold for logs calibrated on them.

Each excerpt of the log file (samples/log_excerpts.json format: a failure as its tool prints it, with the issue of
the pair that fixes it) is buried in a made job log (joblog/wrapping.py) and asked as VM2 asks a log
(`Answering.ask_log`). An excerpt whose issue is one of the version's pairs is *known* (that pair is right), the
others *unknown*. Scores: signature recall (the excerpt's decisive line among the quoted lines), evidence hit@1 /
hit@3, and the known-fix claim rates at the log threshold. The threshold is calibrated like the question threshold
(most known logs recognised while keeping `min_false_on_unknown` of the unknown ones below it) when the file has
logs of both kinds, with the grounding's quoted-wording bonus (resolver_core.wording); otherwise logs use the
question threshold and are searched without the bonus, and the manifest says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from decoding.answer import Answering, closest_block
from joblog import LogLimits, extract, redact, signature
from joblog.wrapping import decisive_line, wrap_excerpt
from resolver_core.grounding import calibrate_threshold, closeness_of
from resolver_core.manifest import KnownFixRates, LogScores
from resolver_core.scoring import hit_rate, known_fix_rates

log = logging.getLogger(__name__)
SHIPPED_EXCERPTS = Path(__file__).resolve().parent.parent / "samples" / "log_excerpts.json"
MADE_LOG_BYTES = (20_000, 200_000)  # each made log's size lies in this range (spread over the file)


@dataclass(frozen=True)
class LogProbe:
    """One made log, as serving would answer it under any log threshold: the block closest to a known failure is
    answered when its closeness reaches the threshold, else the strongest block by the rules."""

    right: frozenset[int]  # the version's pair that fixes it (empty: unknown)
    closeness: float  # of the closest block: what the threshold is compared with
    ranked_closest: list[int]  # evidence ids, best first, when the closest block is answered
    ranked_strongest: list[int]  # ... when the strongest block is
    quoted_closest: bool  # the excerpt's decisive line is quoted when the closest block is answered
    quoted_strongest: bool

    def ranked(self, threshold: float) -> list[int]:
        return self.ranked_closest if self.closeness >= threshold else self.ranked_strongest

    def quoted(self, threshold: float) -> bool:
        return self.quoted_closest if self.closeness >= threshold else self.quoted_strongest


def load_excerpts(path: Path | None) -> tuple[list[dict], str]:
    data = (path or SHIPPED_EXCERPTS).read_bytes()
    return json.loads(data), hashlib.sha256(data).hexdigest()


def score_logs(answering: Answering, path: Path | None, min_false_on_unknown: float) -> LogScores:
    """The version's log scores and log threshold (see the module's doc)."""
    limits = LogLimits()
    excerpts, sha256 = load_excerpts(path)
    rights = [_pair_ids_of(answering, excerpt["issue"]) for excerpt in excerpts]
    if not (any(rights) and not all(rights)):  # no calibration: the question threshold, searched as questions are
        answering = replace(answering, grounding=replace(answering.grounding, quoted_bonus=0.0))
    probes = [
        _probe(answering, number, excerpt, right, limits)
        for number, (excerpt, right) in enumerate(zip(excerpts, rights, strict=True))
    ]
    known = [p.closeness for p in probes if p.right]
    unknown = [p.closeness for p in probes if not p.right]
    calibrated = calibrate_threshold(known, unknown, min_false_on_unknown) if known and unknown else None
    threshold = calibrated if calibrated is not None else answering.grounding.known_fix_threshold
    claims = [p.ranked(threshold)[:1] if p.closeness >= threshold else [] for p in probes]
    found = [p for p in probes if p.right]
    ranked = [p.ranked(threshold) for p in found]
    scores = LogScores(
        file=str(path or SHIPPED_EXCERPTS.name),
        sha256=sha256,
        logs=len(probes),
        known=len(known),
        unknown=len(unknown),
        signature_recall=round(sum(p.quoted(threshold) for p in probes) / max(len(probes), 1), 4),
        hit_at_1=hit_rate(ranked, [p.right for p in found], 1) if found else None,
        hit_at_3=hit_rate(ranked, [p.right for p in found], 3) if found else None,
        known_fix_threshold=threshold,
        threshold_from="logs" if calibrated is not None else "questions",
        quoted_bonus=answering.grounding.quoted_bonus,
        known_fix=KnownFixRates(**known_fix_rates(claims, rights)),
    )
    log.info("whole logs scored", extra=scores.model_dump())
    return scores


def _probe(answering: Answering, number: int, excerpt: dict, right: frozenset[int], limits: LogLimits) -> LogProbe:
    low, high = MADE_LOG_BYTES
    size = low + (number * 7919) % (high - low)
    extraction = extract(wrap_excerpt(excerpt["excerpt"], excerpt["ecosystem"], number, size).data, limits)
    if not extraction.candidates:
        return LogProbe(right, 0.0, [], [], False, False)
    searched = answering.log_searches(extraction.candidates, limits.max_question_chars)
    closest = closest_block(searched, answering.grounding)
    wanted = redact(decisive_line(excerpt["excerpt"], excerpt["issue"]))

    def quoted(chosen: int) -> bool:
        blocks = signature(extraction.candidates, extraction.candidates[chosen], limits)
        return any(wanted in line.text for block in blocks for line in block.lines)

    return LogProbe(
        right,
        closeness_of(searched[closest][1], answering.grounding.closeness),
        [s.id for s in searched[closest][1]],
        [s.id for s in searched[0][1]],
        quoted(closest),
        quoted(0),
    )


def _pair_ids_of(answering: Answering, issue: str) -> frozenset[int]:
    index = answering.index
    same = [pair_id for pair_id, pair in zip(index.ids, index.pairs, strict=True) if _same(pair["issue"], issue)]
    return frozenset(same)


def _same(one: str, other: str) -> bool:
    return " ".join(one.lower().split()) == " ".join(other.lower().split())
