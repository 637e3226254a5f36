"""From a raw CI job log to the lines a person reads: terminal codes and CI prefixes gone, line numbers kept.

What a CI system adds around the program output is removed: ANSI colour and cursor codes, the carriage-return
redraws of progress bars (the terminal shows the last one), timestamp prefixes (GitHub Actions, GitLab, Jenkins
Timestamper, Buildkite), and the markers of collapsible sections (GitHub `##[group]`, GitLab `section_start:`,
Travis `travis_fold:`). Every kept line remembers its number in the original log (1-based), so what is quoted can
be found there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
BUILDKITE_STAMP = re.compile(r"_bk;t=\d+\x07")
TIMESTAMP_PREFIX = re.compile(
    r"^(?:"
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z(?: \d\d[OE]\+?)? ?"  # GitHub Actions; GitLab (with stream marker)
    r"|\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\] ?"  # Jenkins Timestamper (ISO)
    r"|\[\d\d:\d\d:\d\d(?:\.\d+)?\] "  # Jenkins Timestamper (time of day)
    r"|\[(?:task|vcs|taskcluster) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\] "  # Taskcluster
    r")",
)
SECTION_MARKER = re.compile(
    r"^(?:##\[(?:group|endgroup|section|command)\].*"
    r"|section_(?:start|end):\d+:[\w.-]+(?:\[[^\]]*\])?"
    r"|travis_(?:fold|time):[^\s]*"
    r"|::(?:group|endgroup|add-mask|debug)::.*)$"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)  # one per line of a log: no per-object dict
class LogLine:
    number: int  # 1-based line number in the original log
    text: str  # without terminal codes and CI prefixes, cut to the longest kept line


def decode_log(data: bytes | bytearray) -> str:
    """Bytes as text: UTF-8, undecodable bytes replaced (a log is never refused for its encoding)."""
    return data.decode("utf-8", errors="replace")


def looks_binary(data: bytes | bytearray, sample_bytes: int = 65536, max_share: float = 0.3) -> bool:
    """Mostly NUL or other control bytes in the first `sample_bytes`: not a text log."""
    sample = data[:sample_bytes]
    if not sample:
        return False
    control = sum(sample.count(bytes([code])) for code in (*range(0, 8), 11, 14, *range(16, 27), *range(28, 32)))
    return control / len(sample) > max_share


def clean_lines(text: str, max_line_chars: int) -> list[LogLine]:
    """Every line of a short text as read, numbered; blank lines and section markers dropped (a whole log is read
    through joblog.reading instead, which visits only the lines worth reading)."""
    kept = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = cleaned_line(raw)
        if line is not None:
            kept.append(LogLine(number, line[:max_line_chars]))
    return kept


def cleaned_line(raw: str) -> str | None:
    """The line as a person reads it; None for a blank line or a section marker."""
    line = raw
    if "\x1b" in line or "\x07" in line:
        line = BUILDKITE_STAMP.sub("", ANSI.sub("", line))
    if "\r" in line:
        line = _last_redraw(line)
    if stamp := TIMESTAMP_PREFIX.match(line):
        line = line[stamp.end() :]
    if not line.isprintable():  # tabs too; any other control character goes
        line = CONTROL.sub("", line.replace("\x1b", ""))
    line = line.rstrip()
    return None if not line or SECTION_MARKER.match(line) else line


def _last_redraw(line: str) -> str:
    """What a terminal shows of a line redrawn with carriage returns: its last non-empty segment, minus any
    marker that precedes it on the same redraw (GitLab's `section_start:…` before the section title)."""
    segments = [segment for segment in line.split("\r") if segment.strip()]
    return TIMESTAMP_PREFIX.sub("", segments[-1]) if segments else ""
