"""A whole job log in, its failure out: the candidate blocks, the signature quoted to a reader, its fingerprint.

Deterministic and model-free: the same log gives the same blocks. Which candidate becomes the signature's first
block is the caller's choice (VM2 takes the one that best matches a known failure, else the strongest by the
rules); this module quotes it first, then the other strongest blocks, within a reading budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from joblog.blocks import MAX_BLOCK_LINES, TAIL_LINES, Block, candidate_blocks, is_command_echo, template_of
from joblog.cleaning import LogLine, clean_lines
from joblog.reading import lines_worth_reading
from joblog.redaction import redact, redact_lines
from joblog.rules import weight_of

WINDOW_AFTER = MAX_BLOCK_LINES * 4  # a block never reaches further below its first reporting line
TAIL_KEPT = TAIL_LINES * 8  # room for the CI's verdict and clean-up after the last words


@dataclass(frozen=True)
class LogLimits:
    max_line_chars: int = 4096  # longer lines are cut to this (not refused)
    max_candidates: int = 8  # blocks matched against the known failures
    max_quoted_chars: int = 4000  # what a reader is shown, all blocks together
    max_quoted_blocks: int = 6
    max_quoted_line_chars: int = 400
    max_question_chars: int = 1200  # the signature as a question (retrieval and prompt)
    max_anchor_lines: int = 20_000  # lines holding a failure word read, the last ones of the log


@dataclass(frozen=True)
class Extraction:
    bytes: int
    lines: int
    sha256: str
    candidates: list[Block]  # strongest first; empty when no line reads like a failure


def extract(data: bytes | bytearray, limits: LogLimits = LogLimits()) -> Extraction:
    """The log's size, hash and candidate failure blocks; only the lines worth reading are decoded."""
    size, lines, sha256 = len(data), data.count(b"\n") + (not data.endswith(b"\n") and bool(data)), _sha256(data)
    kept, mentions = lines_worth_reading(data, limits.max_line_chars, WINDOW_AFTER, TAIL_KEPT, limits.max_anchor_lines)
    candidates = candidate_blocks(kept, lines, mentions)[: limits.max_candidates]
    return Extraction(size, lines, sha256, candidates)


def signature(candidates: Sequence[Block], chosen: Block, limits: LogLimits = LogLimits()) -> list[Block]:
    """The blocks quoted to a reader: `chosen` first, then the strongest others, within the budget; every line
    redacted and cut to `max_quoted_line_chars`."""
    quoted, used, seen = [], 0, set()
    for block in [chosen, *(c for c in candidates if c is not chosen)]:
        if fingerprint(block) in seen:  # the same message again (another test hitting it): quoted once
            continue
        seen.add(fingerprint(block))
        shown = _shown(block, limits.max_quoted_line_chars)
        size = sum(len(line.text) + 1 for line in shown.lines)
        if quoted and (used + size > limits.max_quoted_chars or len(quoted) >= limits.max_quoted_blocks):
            continue
        quoted.append(shown)
        used += size
    return quoted


def question_of(block: Block, max_chars: int) -> str:
    """The block as a question to search the known failures with (redacted, bounded)."""
    return _redacted_text(block.lines, max_chars)


def printed_text(block: Block, max_chars: int) -> str:
    """What the block's tools printed (the commands the script echoed left out), redacted and bounded: the words
    compared with a known pair's wording."""
    return _redacted_text([line for line in block.lines if not is_command_echo(line.text)], max_chars)


def _redacted_text(lines: Sequence[LogLine], max_chars: int) -> str:
    return "\n".join(redact_lines([line.text for line in lines]))[:max_chars]


def clean_excerpt(text: str, max_line_chars: int = 4096) -> str:
    """Log lines as a known pair keeps them: terminal codes, CI prefixes and blank lines gone, secrets redacted."""
    return "\n".join(redact_lines([line.text for line in clean_lines(text, max_line_chars)]))


def headline(block: Block) -> str:
    """The block's strongest line (the first of the strongest), redacted: the failure named in one line."""
    return redact(max(block.lines, key=lambda line: weight_of(line.text)).text).strip()


def fingerprint(block: Block) -> str:
    """The same failure in two runs gives the same fingerprint: numbers, hashes and durations masked."""
    normalised = "\n".join(template_of(line.text) for line in block.lines)
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def _shown(block: Block, max_line_chars: int) -> Block:
    texts = redact_lines([line.text for line in block.lines])
    lines = tuple(LogLine(line.number, text[:max_line_chars]) for line, text in zip(block.lines, texts, strict=True))
    return replace(block, lines=lines)


def _sha256(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()
