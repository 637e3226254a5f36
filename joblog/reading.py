"""The lines of a whole log worth reading, found without visiting every line in Python.

A log of millions of lines is mostly ordinary output. The lines that mention a failure word are located by
searching the lowered bytes (byte search runs in C; only the kept lines are ever decoded), the last
`max_anchors` of them from the end; each is kept
with the line above it and the `after` lines below (where its traceback or compiler context lies), plus the
log's last `tail` lines (a failing script's last words). Only those lines are cleaned and scored, so the time and
memory a log costs are bounded by what it holds of failures, not by its length.
"""

from __future__ import annotations

from joblog.cleaning import LogLine, cleaned_line, decode_log
from joblog.rules import KEYWORDS

BYTE_KEYWORDS = tuple(keyword.encode() for keyword in KEYWORDS)  # lowered log bytes are searched for these


def lines_worth_reading(
    text: bytes | bytearray, max_line_chars: int, after: int, tail: int, max_anchors: int
) -> tuple[list[LogLine], set[int]]:
    """The kept lines (decoded, cleaned, numbered as in the log, in order) and the numbers of those that hold a
    failure word."""
    total = text.count(b"\n") + (not text.endswith(b"\n") and bool(text))
    raw: dict[int, bytes] = {}
    walked = (0, 0)  # the last line number a window reached, and the offset where the line after it starts
    anchors = _anchor_lines(text, max_anchors)
    for number, start in anchors:
        walked = _keep_window(text, raw, number, start, after, walked)
    _keep_tail(text, raw, total, tail)
    kept = []
    for number in sorted(raw):
        line = cleaned_line(decode_log(raw.pop(number)))
        if line is not None:
            kept.append(LogLine(number, line[:max_line_chars]))
    return kept, {number for number, _ in anchors}


def _anchor_lines(text: bytes | bytearray, max_anchors: int) -> list[tuple[int, int]]:
    """(line number, offset of the line's start) of the last `max_anchors` lines holding a failure word."""
    lowered = text.lower()
    positions: set[int] = set()
    for keyword in BYTE_KEYWORDS:
        end, found = len(lowered), 0
        while found < max_anchors and (at := lowered.rfind(keyword, 0, end)) != -1:
            positions.add(lowered.rfind(b"\n", 0, at) + 1)  # the line's start: one entry per line
            end, found = at, found + 1
    del lowered
    starts = sorted(positions)[-max_anchors:]
    numbered, number, previous = [], 1, 0
    for start in starts:
        number += text.count(b"\n", previous, start)
        numbered.append((number, start))
        previous = start
    return numbered


def _keep_window(
    text: bytes | bytearray, raw: dict[int, bytes], number: int, start: int, after: int, walked: tuple[int, int]
) -> tuple[int, int]:
    """Keep line `number` (starting at `start`), the one above and `after` below; anchors come in order, so the
    walk resumes where the previous window stopped instead of reading its lines again."""
    if number > 1 and number - 1 not in raw:
        above = text.rfind(b"\n", 0, start - 1) + 1
        raw[number - 1] = text[above : start - 1]
    stop, (last_walked, resume_at) = number + after, walked
    if number <= last_walked:
        number, start = last_walked + 1, resume_at
    while number <= stop and start <= len(text):
        end = text.find(b"\n", start)
        end = len(text) if end == -1 else end
        if number not in raw:
            raw[number] = bytes(text[start:end])
        number, start = number + 1, end + 1
    return number - 1, start


def _keep_tail(text: bytes | bytearray, raw: dict[int, bytes], total: int, tail: int) -> None:
    end = len(text) - 1 if text.endswith(b"\n") else len(text)
    for number in range(total, max(0, total - tail), -1):
        start = text.rfind(b"\n", 0, end) + 1
        if number not in raw:
            raw[number] = bytes(text[start:end])
        end = start - 1
        if end < 0:
            return
