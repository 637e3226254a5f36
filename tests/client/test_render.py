"""One renderer for the console, the job summary and the PR comment: the same content in each format, and what
comes from a log (untrusted) shown as data, never as markup, mentions or terminal codes."""

from __future__ import annotations

import json
import sys

import pytest

from tests.client.conftest import CLIENT

sys.path.insert(0, str(CLIENT))
from ci_resolver_client.render import as_markdown, as_text, error_report, fenced, report_of

LINK = "http://vm2:5000/?answer=ans_0123456789abcdef01234567"
ANSWER = {
    "answer_id": "ans_0123456789abcdef01234567",
    "resolution": "Add the package to PYTHONPATH in tox.ini:\n  setenv = PYTHONPATH = {toxinidir}/src",
    "known_fix": True,
    "based_on": [3],
    "model_version": "20261207T010000Z",
    "similar": [{"id": 3, "score": 0.71, "issue": "pytest fails with ModuleNotFoundError", "resolution": "Fix it"}],
    "log": {
        "bytes": 1000,
        "lines": 120,
        "fingerprint": "5b426c1e101569bb",
        "recent": {"days": 7, "count": 4},
        "signature": [
            {
                "first_line": 88,
                "last_line": 89,
                "lines": [
                    {"number": 88, "text": "E   ModuleNotFoundError: No module named 'app'"},
                    {
                        "number": 89,
                        "text": "ping @everyone <script>alert(1)</script> ``` [x](javascript:alert(1)) \x1b[31m",
                    },
                ],
            }
        ],
    },
}


@pytest.fixture
def report():
    return report_of(ANSWER, LINK, job="build (3.11)")


def test_text_and_markdown_carry_the_same_content(report):
    text, markdown = as_text([report]), as_markdown([report])
    for expected in (
        "known fix for build (3.11)",
        "setenv = PYTHONPATH = {toxinidir}/src",
        "     88 | E   Module",
        "pair 3 (score 0.71)",
        LINK,
        "Seen 4 times in the last 7 days",
        "5b426c1e101569bb",
    ):
        assert expected in text, expected
        assert expected in markdown, expected
    assert [section.title for section in report.sections] == [
        "The fix",
        "The log lines it matched",
        "Evidence: the nearest known fixes",
        "Did it help?",
        "About",
    ]


def test_log_text_stays_data_in_markdown(report):
    markdown = as_markdown([report])
    fence = "````"  # longer than the ``` inside the quoted line, so that line cannot close the block
    assert f"{fence}text" in markdown
    block = markdown.split(f"{fence}text", 1)[1].split(fence, 1)[0]
    assert "<script>" in block  # quoted verbatim inside the code block...
    assert "<script>" not in markdown.replace(block, "")  # ...and nowhere else
    assert "\x1b" not in markdown and "\x1b" not in as_text([report])


def test_inline_text_cannot_mention_link_or_inject_html():
    answer = {
        **ANSWER,
        "similar": [{"id": 1, "score": 0.5, "issue": "@team see <b>[here](http://x)</b>", "resolution": "r"}],
    }
    markdown = as_markdown([report_of(answer, LINK)])
    line = next(line for line in markdown.splitlines() if line.startswith("- pair 1"))
    assert "@team" not in line and "<b>" not in line and "[here](" not in line


def test_a_suggestion_says_so_and_an_error_has_no_answer():
    suggestion = report_of({**ANSWER, "known_fix": False, "based_on": []}, LINK)
    assert suggestion.heading == "ci-resolver: suggestion" and "check it before acting" in suggestion.summary
    failed = error_report("VM2 answered 413: body: the log is larger than 16 MiB", job="build")
    assert failed.answer is None and "413" in as_text([failed]) and "413" in as_markdown([failed])
    assert json.loads(json.dumps(failed.as_json()))["answer"] is None


def test_a_fence_is_longer_than_any_backtick_run_inside():
    assert fenced(["a ````` b"])[0] == "``````text"
    assert fenced(["plain"])[0] == "```text"
