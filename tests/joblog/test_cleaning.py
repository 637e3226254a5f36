"""What a CI system adds around program output is removed; line numbers stay those of the original log."""

from __future__ import annotations

from joblog.cleaning import clean_lines, decode_log, looks_binary


def texts(raw: str) -> list[tuple[int, str]]:
    return [(line.number, line.text) for line in clean_lines(raw, 4096)]


def test_ansi_codes_and_ci_timestamp_prefixes_go_and_numbers_stay() -> None:
    raw = (
        "2026-03-01T10:00:00.1234567Z \x1b[32mok\x1b[0m step one\n"  # GitHub Actions
        "2026-03-01T10:00:01.123456Z 00O+ gitlab line\n"  # GitLab trace with stream marker
        "[2026-03-01T10:00:02.000Z] jenkins line\n"  # Jenkins Timestamper
        "[task 2026-03-01T10:00:03.000Z] taskcluster line\n"
        "_bk;t=1700000000000\x07buildkite line\n"
        "\n"
        "\x1b]8;;https://example.com\x07linked\x1b]8;;\x07 text\n"
    )
    assert texts(raw) == [
        (1, "ok step one"),
        (2, "gitlab line"),
        (3, "jenkins line"),
        (4, "taskcluster line"),
        (5, "buildkite line"),
        (7, "linked text"),
    ]


def test_a_progress_bar_redrawn_with_carriage_returns_reads_as_its_last_state() -> None:
    raw = "Downloading 10%\rDownloading 55%\rDownloading 100%\r\nsection_start:1700000000:build\r\x1b[0KBuilding\n"
    assert texts(raw) == [(1, "Downloading 100%"), (2, "Building")]


def test_collapsible_section_markers_are_not_lines_of_output() -> None:
    raw = "##[group]Run npm ci\nadded 3 packages\n##[endgroup]\ntravis_fold:start:install\nsection_end:1:build\n"
    assert texts(raw) == [(2, "added 3 packages")]


def test_long_lines_are_cut_not_refused() -> None:
    assert [len(line.text) for line in clean_lines("x" * 10_000 + "\nshort\n", 100)] == [100, 5]


def test_undecodable_bytes_are_replaced_and_binary_is_recognised() -> None:
    assert decode_log(b"caf\xe9 error\n") == "caf\ufffd error\n"
    assert looks_binary(b"\x00\x01\x02\x03" * 1000)
    assert not looks_binary(b"ok \x1b[31mred\x1b[0m\tline\r\n" * 100)
    assert not looks_binary(b"")
