"""One renderer for every place an answer is shown: a job's console (text), a GitHub job summary or PR comment
(markdown), a machine (json). The same sections, in the same order, whatever the format.

Everything in an answer is data from VM2 (its quoted log lines come from an untrusted log): markdown gets it in
code fences or escaped, never as markup."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

MAX_EVIDENCE = 3
KNOWN_FIX = "Known fix"
SUGGESTION = "Suggestion"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # what could turn text into markup, links or HTML
MENTION = re.compile(r"@(?=\w)")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")  # what a terminal would act on
LINK_SAFE = ":/?=&%#"


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]
    verbatim: bool = False  # quoted as is (a fix, log lines): a code block in markdown
    link: str | None = None  # shown after the lines; a link in markdown


@dataclass
class Report:
    """What a person reads about one answer (or why there is none)."""

    heading: str
    summary: str
    sections: list[Section] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    link: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"heading": self.heading, "summary": self.summary, "page": self.link, "answer": self.answer}


def report_of(answer: dict[str, Any], link: str | None, job: str | None = None) -> Report:
    known = bool(answer.get("known_fix"))
    kind = KNOWN_FIX if known else SUGGESTION
    heading = f"ci-resolver: {kind.lower()}" + (f" for {job}" if job else "")
    sections = [Section("The fix", str(answer.get("resolution", "")).splitlines() or [""], verbatim=True)]
    log = answer.get("log")
    if log:
        sections.append(Section("The log lines it matched", _quoted_lines(log), verbatim=True))
    evidence = [_evidence_line(pair) for pair in answer.get("similar", [])[:MAX_EVIDENCE]]
    if evidence:
        sections.append(Section("Evidence: the nearest known fixes", evidence))
    if link:
        sections.append(Section("Did it help?", ["Accept, reject or correct this answer on VM2's page:"], link=link))
    sections.append(Section("About", _about(answer)))
    return Report(heading, _summary(answer, known), sections, answer, link)


def error_report(message: str, job: str | None = None) -> Report:
    heading = "ci-resolver: no answer" + (f" for {job}" if job else "")
    return Report(heading, f"{message} (advisory: the job's result is unchanged)")


def _summary(answer: dict[str, Any], known: bool) -> str:
    if known:
        pairs = ", ".join(str(pair_id) for pair_id in answer.get("based_on", []))
        text = f"The team's known fix for this failure (known pair {pairs})."
    else:
        text = "No known fix is close: a suggestion generated from the failure lines; check it before acting on it."
    recent = (answer.get("log") or {}).get("recent")
    if recent and recent.get("count", 0) > 1:
        text += f" Seen {recent['count']} times in the last {recent['days']:g} days."
    return text


def _quoted_lines(log: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for block in log.get("signature", []):
        if lines:
            lines.append("   ...")
        lines.extend(f"{line['number']:>7} | {line['text']}" for line in block.get("lines", []))
    return lines


def _evidence_line(pair: dict[str, Any]) -> str:
    score = float(pair.get("score", 0))
    return f"pair {pair.get('id')} (score {score:.2f}): {pair.get('issue')} -> {pair.get('resolution')}"


def _about(answer: dict[str, Any]) -> list[str]:
    about = [f"model version {answer.get('model_version')}", f"answer {answer.get('answer_id') or 'not recorded'}"]
    log = answer.get("log")
    if log:
        about.append(f"failure fingerprint {log.get('fingerprint')} ({log.get('lines')} lines read)")
    return ["; ".join(about)]


def as_text(reports: list[Report]) -> str:
    out: list[str] = []
    for report in reports:
        out += [f"== {report.heading} ==", report.summary]
        for section in report.sections:
            out += ["", f"-- {section.title} --", *section.lines]
            if section.link:
                out.append(section.link)
        out.append("")
    return CONTROL.sub("", "\n".join(out))


def as_markdown(reports: list[Report], marker: str = "") -> str:
    out: list[str] = [marker] if marker else []
    for report in reports:
        out += [f"### {escaped(report.heading)}", "", escaped(report.summary), ""]
        for section in report.sections:
            out += [f"**{escaped(section.title)}**", ""]
            out += fenced(section.lines) if section.verbatim else [f"- {escaped(line)}" for line in section.lines]
            if section.link:
                out.append(f"[{escaped(section.link)}]({quote(section.link, safe=LINK_SAFE)})")
            out.append("")
    return CONTROL.sub("", "\n".join(out))


def as_json(reports: list[Report]) -> str:
    return json.dumps([report.as_json() for report in reports], indent=2)


def escaped(text: str) -> str:
    """Inline markdown that renders as the text it is: no markup, no HTML, no @mentions."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return MENTION.sub("@\u200b", text)


def fenced(lines: list[str]) -> list[str]:
    """A code block no line can close: its fence is longer than any run of backticks inside."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def rendered(reports: list[Report], fmt: str) -> str:
    if fmt == "json":
        return as_json(reports)
    return as_markdown(reports) if fmt == "markdown" else as_text(reports)
