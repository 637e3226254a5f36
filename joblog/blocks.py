"""Candidate failure blocks: a reporting line with the lines that belong to it (a whole traceback, a compiler
message with its context), repeated lines collapsed, scored by the rules and by how late they come.

Logs end where they fail, so a block near the end outranks an equally strong one early in the log; the last
meaningful lines before the CI's own verdict always make a candidate too (a failing script often says what went
wrong in words no rule knows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from joblog.cleaning import LogLine
from joblog.rules import continues, is_generic, mentions_failure, weight_of

MAX_BLOCK_LINES = 12
MERGE_GAP = 1  # reporting lines this close join one block
MAX_LINE_GAP = 3  # lines further apart in the log (blank lines dropped, or lines not read) are not one block
TAIL_LINES = 6
TAIL_WEIGHT = 1.5  # the tail block's own weight: above a vague mention, below a clear error line
RECENCY_WEIGHT = 1.0
MASK = re.compile(r"0x[0-9a-fA-F]+|[0-9a-f]{7,}|\d+(?:\.\d+)*")


@dataclass(frozen=True)
class Block:
    lines: tuple[LogLine, ...]
    score: float
    rule_lines: int  # lines a rule matched (0 for the tail block alone)

    @property
    def first(self) -> int:
        return self.lines[0].number

    @property
    def last(self) -> int:
        return self.lines[-1].number

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def template_of(text: str) -> str:
    """The line with its numbers and hashes masked: repeats of one message share it."""
    return MASK.sub("#", text.strip())


def line_weights(lines: Sequence[LogLine], mentions: set[int] | None = None) -> list[float]:
    """Each line's weight; only lines holding a failure word are matched (`mentions`: their numbers, when the
    reader already knows them)."""
    if mentions is None:
        return [weight_of(line.text) if mentions_failure(line.text) else 0.0 for line in lines]
    return [weight_of(line.text) if line.number in mentions else 0.0 for line in lines]


def candidate_blocks(
    lines: Sequence[LogLine], total_lines: int | None = None, mentions: set[int] | None = None
) -> list[Block]:
    """Every candidate block of `lines` (in order; a log's lines worth reading, or all of a short text's),
    strongest first (ties: the later one). `total_lines`: the log's length (default: the last line's number)."""
    weights = line_weights(lines, mentions)
    total = total_lines or (lines[-1].number if lines else 1)
    blocks = _rule_blocks(lines, weights, max(total, 1))
    tail = _tail_block(lines, [(block.first, block.last) for block in blocks])
    if tail is not None:
        blocks.append(tail)
    return sorted(blocks, key=lambda block: (-block.score, -block.last))


def _rule_blocks(lines: Sequence[LogLine], weights: list[float], total: int) -> list[Block]:
    blocks, index = [], 0
    while index < len(lines):
        if weights[index] <= 0:
            index += 1
            continue
        start = _header_above(lines, weights, index)
        end = _block_end(lines, weights, index)
        members = _collapsed(lines[start:end])
        strongest = max(weights[start:end])
        anchors = sum(weight > 0 for weight in weights[start:end])
        recency = lines[end - 1].number / total
        score = strongest + 0.1 * min(anchors - 1, 3) + RECENCY_WEIGHT * recency
        blocks.append(Block(tuple(members), round(score, 4), anchors))
        index = end
    return blocks


def _header_above(lines: Sequence[LogLine], weights: list[float], index: int) -> int:
    """An indented reporting line starts its block at the unindented line it belongs to, if that is just above."""
    if index == 0 or not continues(lines[index].text) or not _adjacent(lines, index):
        return index
    above = lines[index - 1].text
    return index - 1 if not continues(above) and not is_generic(above) and weights[index - 1] == 0 else index


def _block_end(lines: Sequence[LogLine], weights: list[float], index: int) -> int:
    """One past the block's last line: its continuation lines and reporting lines close below, up to the cap."""
    end, gap = index + 1, 0
    while end < len(lines) and end - index < MAX_BLOCK_LINES * 4:
        text = lines[end].text
        if is_generic(text) or not _adjacent(lines, end):
            break
        if weights[end] > 0 or continues(text):
            end, gap = end + 1, 0
            continue
        if gap >= MERGE_GAP or not _reporting_within(weights, end + 1, MERGE_GAP - gap):
            break
        end, gap = end + 1, gap + 1
    return end


def _adjacent(lines: Sequence[LogLine], index: int) -> bool:
    """Line `index` follows the one before it in the log (at most a few blank lines between, none left unread)."""
    return lines[index].number - lines[index - 1].number <= MAX_LINE_GAP


def _reporting_within(weights: list[float], start: int, span: int) -> bool:
    return any(weight > 0 for weight in weights[start : start + span])


def _collapsed(lines: Sequence[LogLine]) -> list[LogLine]:
    """Consecutive repeats of one message kept once; at most MAX_BLOCK_LINES (the first ones and the last)."""
    kept: list[LogLine] = []
    for line in lines:
        if not kept or template_of(line.text) != template_of(kept[-1].text):
            kept.append(line)
    if len(kept) > MAX_BLOCK_LINES:
        kept = kept[: MAX_BLOCK_LINES - 1] + kept[-1:]
    return kept


def _tail_block(lines: Sequence[LogLine], covered: list[tuple[int, int]]) -> Block | None:
    """The last meaningful lines before the CI's verdict (generic lines at the end skipped), less those already in
    a rule block (`covered`: their first and last line numbers)."""
    end = len(lines)
    while end > 0 and (is_generic(lines[end - 1].text) or _is_shell_echo(lines[end - 1].text)):
        end -= 1
    kept = [
        line
        for line in lines[max(0, end - TAIL_LINES) : end]
        if not is_generic(line.text) and not any(first <= line.number <= last for first, last in covered)
    ]
    tail = _collapsed(kept)
    if not tail:
        return None
    return Block(tuple(tail), TAIL_WEIGHT + RECENCY_WEIGHT, 0)


def is_command_echo(text: str) -> bool:
    """A command the job's script echoed (`set -x`'s `+ cmd`, a `$ cmd` prompt), not what a tool printed."""
    return text.startswith(("+ ", "$ ")) and len(text) < 200


def _is_shell_echo(text: str) -> bool:
    """An echoed command, or a `> ` line such as an npm script's `> pkg@1.0.0 test` banner: skipped at the end of
    the tail."""
    return is_command_echo(text) or (text.startswith("> ") and len(text) < 200)
