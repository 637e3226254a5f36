"""`ci-resolver explain build.log`: a failed job's log to VM2, the answer printed for the person who reads the job.

Advisory by design: whatever the answer, and when VM2 is down, slow or refuses, the exit status is 0 (one line on
stderr says what happened) unless --fail-on-error. The log itself is never printed back."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from ci_resolver_client import __version__
from ci_resolver_client.render import Report, error_report, rendered, report_of
from ci_resolver_client.transport import Vm2, Vm2Error

FORMATS = ("text", "markdown", "json")
DEFAULT_TIMEOUT_S = 60.0


def main(argv: Sequence[str] | None = None) -> int:
    from ci_resolver_client import github  # the action's entry point, beside the plain commands

    parser = argparse.ArgumentParser(prog="ci-resolver", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    explain = commands.add_parser(
        "explain",
        help="find the failure in a job log and print the fix",
        description=(
            "Send a job log (a file, or - for stdin) to VM2's /resolve/log, gzipped as it is read; print the answer."
        ),
    )
    explain.add_argument("log", nargs="?", default="-", help="the job log file, or - (the default) for stdin")
    add_answer_options(explain)
    ask = commands.add_parser("ask", help="ask about a failure in words", description="Send one question to /resolve.")
    ask.add_argument("question", help="the failure, as you would describe it")
    add_answer_options(ask)
    github.add_command(commands)
    args = parser.parse_args(argv)
    return args.run(args)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ
    parser.add_argument(
        "--url",
        default=env.get("CI_RESOLVER_URL") or env.get("VM2_URL"),
        help="VM2's base URL, e.g. http://vm2:5000 (env CI_RESOLVER_URL or VM2_URL); the key comes from "
        "CI_RESOLVER_API_KEY when VM2 requires one",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(env.get("CI_RESOLVER_TIMEOUT") or DEFAULT_TIMEOUT_S),
        help="seconds to wait for VM2 before giving up (env CI_RESOLVER_TIMEOUT; default %(default)s)",
    )
    parser.add_argument(
        "--page-url",
        default=env.get("CI_RESOLVER_PAGE_URL"),
        help="VM2's address as developers' browsers reach it, for the feedback link (default: --url)",
    )
    parser.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit 1 when no answer came (VM2 down, slow or refusing); without it the job's result is unchanged",
    )
    parser.add_argument("--no-gzip", dest="gzip", action="store_false", help="send the log uncompressed")


def add_answer_options(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="text", help="how to print the answer (%(default)s)")
    parser.add_argument("--output", type=Path, help="also write the answer to this file (e.g. a CI artifact)")
    parser.add_argument("--job", help="the job's name, shown in the heading")
    parser.set_defaults(run=run_answer)


def vm2_of(args: argparse.Namespace) -> Vm2:
    if not args.url:
        raise Vm2Error("no VM2 address: set CI_RESOLVER_URL (or pass --url)")
    return Vm2(args.url, os.environ.get("CI_RESOLVER_API_KEY") or None, args.timeout)


def answer_report(args: argparse.Namespace) -> Report:
    """The answer to the question or the log in `args`, or an error report saying why there is none."""
    try:
        vm2 = vm2_of(args)
        if getattr(args, "question", None) is not None:
            answer = vm2.ask(args.question)
        else:
            with open_log(args.log) as log:
                answer = vm2.explain_log(log, gzip=args.gzip)
    except Vm2Error as error:
        return error_report(str(error), args.job)
    except OSError as error:
        return error_report(f"cannot read the log: {error.strerror or error} ({args.log})", args.job)
    return report_of(answer, vm2.page_link(answer.get("answer_id"), args.page_url), args.job)


def open_log(path: str) -> BinaryIO:
    return sys.stdin.buffer if path == "-" else open(path, "rb")


def run_answer(args: argparse.Namespace) -> int:
    report = answer_report(args)
    return finish([report], args)


def finish(reports: list[Report], args: argparse.Namespace, output: str | None = None) -> int:
    """Print the reports (and write --output); the exit status the job should see."""
    text = output if output is not None else rendered(reports, args.format)
    print(text, flush=True)
    if getattr(args, "output", None):
        try:
            args.output.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            print(f"ci-resolver: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
    failed = [report for report in reports if report.answer is None]
    for report in failed:
        print(f"ci-resolver: {report.summary}", file=sys.stderr)
    return 1 if failed and args.fail_on_error else 0
