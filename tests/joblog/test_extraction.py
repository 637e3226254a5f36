"""From a whole log to its failure: whole blocks, quoted verbatim with their line numbers, a stable fingerprint."""

from __future__ import annotations

import re

from joblog import extract, fingerprint, printed_text, signature
from joblog.cleaning import ANSI

SETUP = [f"2026-03-01T10:00:{i % 60:02d}.0000000Z Downloading package-{i} (12 kB)" for i in range(300)]
TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/home/runner/work/app/app/manage.py", line 22, in <module>',
    "    main()",
    '  File "/home/runner/work/app/app/settings.py", line 8, in <module>',
    '    DATABASE_URL = os.environ["DATABASE_URL"]',
    "KeyError: 'DATABASE_URL'",
]
END = ["##[error]Process completed with exit code 1.", "Post job cleanup.", "Finished: FAILURE"]


def log_of(*parts: list[str]) -> bytes:
    return ("\n".join(line for part in parts for line in part) + "\n").encode()


def test_a_traceback_is_one_block_kept_whole_and_quoted_first() -> None:
    extraction = extract(log_of(SETUP, ["\x1b[31m" + TRACEBACK[0] + "\x1b[0m", *TRACEBACK[1:]], END))
    best = extraction.candidates[0]
    assert [line.text for line in best.lines] == TRACEBACK
    assert (best.first, best.last) == (301, 306)
    assert extraction.lines == 309


def test_every_quoted_line_is_in_the_log_at_its_number() -> None:
    data = log_of(
        SETUP[:50],
        ["npm ERR! code ERESOLVE", "npm ERR! ERESOLVE unable to resolve dependency tree"],
        SETUP[50:],
        TRACEBACK,
        END,
    )
    extraction = extract(data)
    original = ANSI.sub("", data.decode()).split("\n")
    quoted = signature(extraction.candidates, extraction.candidates[0])
    assert len(quoted) >= 2
    for block in quoted:
        for line in block.lines:
            assert line.text in original[line.number - 1]


def test_generic_lines_alone_are_never_a_signature() -> None:
    extraction = extract(log_of(["+ make test", "make: *** [Makefile:3: test] Error 1"], END))
    assert all(block.rule_lines == 0 for block in extraction.candidates)
    assert all("exit code" not in block.text and "Error 1" not in block.text for block in extraction.candidates)


def test_repeated_messages_are_collapsed_and_quoted_once() -> None:
    repeated = [f"ERROR: connection to db-{i} refused after {i}ms" for i in range(40)]
    extraction = extract(log_of(SETUP[:20], repeated, SETUP[20:40], repeated, END))
    quoted = signature(extraction.candidates, extraction.candidates[0])
    texts = [line.text for block in quoted for line in block.lines]
    assert len(texts) == 1, texts


def test_the_same_failure_in_two_runs_has_one_fingerprint() -> None:
    run_1 = extract(log_of(SETUP, ["FAILED tests/test_io.py::test_read - TimeoutError after 30.2s (pid 4242)"], END))
    run_2 = extract(log_of(SETUP[:10], ["FAILED tests/test_io.py::test_read - TimeoutError after 31.7s (pid 977)"]))
    other = extract(log_of(SETUP, ["FAILED tests/test_db.py::test_write - IntegrityError"], END))
    assert fingerprint(run_1.candidates[0]) == fingerprint(run_2.candidates[0])
    assert fingerprint(run_1.candidates[0]) != fingerprint(other.candidates[0])


def test_the_last_words_before_the_verdict_are_a_candidate_when_no_rule_matches() -> None:
    extraction = extract(log_of(SETUP[:30], ["+ ./check.sh", "man/foo.md is required for bin/foo", "+ exit 1"], END))
    assert any("man/foo.md is required" in block.text for block in extraction.candidates)


def test_size_hash_and_line_count_describe_the_input() -> None:
    data = log_of(SETUP[:5])
    extraction = extract(data)
    assert extraction.bytes == len(data)
    assert re.fullmatch(r"[0-9a-f]{64}", extraction.sha256)
    assert extraction.lines == 5


def test_quoted_lines_are_redacted() -> None:
    token = "ghp_" + "Z" * 36
    extraction = extract(log_of(SETUP[:5], [f"fatal: Authentication failed for 'https://x:{token}@github.com/a/b'"]))
    quoted = signature(extraction.candidates, extraction.candidates[0])
    assert token not in "\n".join(line.text for block in quoted for line in block.lines)


def test_printed_lines_leave_out_the_commands_the_script_echoed_but_keep_gradle_s_reasons() -> None:
    log = (
        b"+ ./gradlew assembleRelease\n"
        b"FAILURE: Build failed with an exception.\n"
        b"* What went wrong:\n"
        b"Execution failed for task ':app:validateSigningRelease'.\n"
        b"> Keystore file '/home/ci/release.jks' not found for signing config 'release'.\n"
        b"$ echo done\n"
    )
    printed = "\n".join(printed_text(block, 1200) for block in extract(log).candidates)
    assert "Keystore file" in printed
    assert "gradlew assembleRelease" not in printed and "echo done" not in printed
