"""Lines that say what failed weigh; lines that only say *that* something failed never do."""

from __future__ import annotations

import pytest

from joblog.rules import PRIMARY, STRONG, continues, is_generic, weight_of

GENERIC = [
    "##[error]Process completed with exit code 1.",
    "Error: Process completed with exit code 2.",
    "ERROR: Job failed: exit code 1",
    "Finished: FAILURE",
    "BUILD FAILED",
    "FAILURE: Build failed with an exception.",
    'The command "npm test" exited with 1.',
    "make: *** [Makefile:12: test] Error 2",
    "npm ERR! A complete log of this run can be found in:",
    "[ERROR] -> [Help 1]",
    "Cleaning up project directory and file based variables",
]
REPORTING = {
    "npm ERR! code ERESOLVE": PRIMARY,
    "src/main.c:12:5: error: 'x' undeclared (first use in this function)": PRIMARY,
    "error[E0433]: failed to resolve: use of undeclared crate or module `tokio`": PRIMARY,
    "FAILED tests/test_api.py::test_login - AssertionError: 401 != 200": PRIMARY,
    "Traceback (most recent call last):": STRONG,
    "ModuleNotFoundError: No module named 'requests'": STRONG,
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled": STRONG,
    "java.lang.OutOfMemoryError: Java heap space": STRONG,
    "t9806-git-p4-options.sh ............................ Failed 1/5 subtests": STRONG,  # TAP::Harness (prove)
    "confirms_rejects_SUITE:mixed_dead_alive_queues_reject failed on line 195": STRONG,  # Erlang Common Test
}
ORDINARY = [
    "============ 12 passed, 0 failed in 3.2s ============",
    "gcc -Wall -Werror -O2 -c main.c",
    "[INFO] Tests run: 4, Failures: 0, Errors: 0, Skipped: 0",
    "ok 12 - handles invalid input",
    "added 1432 packages, and audited 1433 packages in 23s",
]


@pytest.mark.parametrize("line", GENERIC)
def test_ci_verdicts_and_exit_codes_are_generic_and_weigh_nothing(line: str) -> None:
    assert is_generic(line)
    assert weight_of(line) == 0.0


@pytest.mark.parametrize(("line", "weight"), REPORTING.items())
def test_error_formats_of_the_ecosystems_weigh(line: str, weight: float) -> None:
    assert weight_of(line) == weight


@pytest.mark.parametrize("line", ORDINARY)
def test_lines_that_only_mention_errors_are_muted(line: str) -> None:
    assert weight_of(line) == 0.0


def test_a_warning_weighs_less_than_the_same_error() -> None:
    assert weight_of("WARNING: Traceback (most recent call last):") < weight_of("Traceback (most recent call last):")
    for logged_below_error, same_message in (
        ("[WARNING] Could not transfer metadata from central", "Could not transfer metadata from central"),
        ("21:36:09     INFO - could not resolve host", "could not resolve host"),
        ("INFO  [main] org.acme.Cache - cache miss: not found", "org.acme.Cache - cache miss: not found"),
        ("DEBUG: retrying after timeout", "retrying after timeout"),
    ):
        assert weight_of(logged_below_error) < weight_of(same_message), logged_below_error


def test_a_kubernetes_warning_event_is_a_failure_not_a_log_level() -> None:
    """`kubectl describe` lists events by type: a Warning event is what failed (an image pull, a probe)."""
    event = '  Warning  Failed     49s (x4 over 2m27s)  kubelet  Failed to pull image "local/dummy": pull access denied'
    assert weight_of(event) >= 2.0


def test_frames_and_compiler_context_continue_the_message_above() -> None:
    for line in (
        '  File "app.py", line 3, in <module>',
        "    at com.acme.Service.run(Service.java:42)",
        "   |     ^^^^^ not found",
        "Caused by: java.io.IOException: closed",
    ):
        assert continues(line)
    assert not continues("Step 3/10 : RUN make")


def test_a_primary_error_format_is_not_muted_by_the_words_around_it() -> None:
    assert weight_of("src/main.c:10:5: error: unused variable 'x' [-Werror=unused-variable]") == PRIMARY
    assert weight_of("E   AssertionError: expected PASSED got FAILED") == PRIMARY
