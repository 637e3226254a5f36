"""What every command shares: the connection options, one answer (or the reason there is none) as a report, and
how the reports end a run: printed, written, and an exit status that leaves the job's result alone."""

from __future__ import annotations

import argparse
import os
import sys
from typing import BinaryIO

from ci_resolver_client.render import Report, error_report, report_of
from ci_resolver_client.transport import Vm2, Vm2Error

DEFAULT_TIMEOUT_S = 60.0


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
        default=env.get("CI_RESOLVER_TIMEOUT") or DEFAULT_TIMEOUT_S,  # a bad value is a usage error, not a crash
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


def finish(reports: list[Report], args: argparse.Namespace, text: str) -> int:
    """Print the reports as `text` (and write --output); the exit status the job should see."""
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
