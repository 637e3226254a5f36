"""`ci-resolver explain build.log`: a failed job's log to VM2, the answer printed for the person who reads the job.

Advisory by design: whatever the answer, and when VM2 is down, slow or refuses, the exit status is 0 (one line on
stderr says what happened) unless --fail-on-error. The log itself is never printed back."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ci_resolver_client import __version__, github
from ci_resolver_client.answers import add_connection_options, answer_report, finish
from ci_resolver_client.render import rendered

FORMATS = ("text", "markdown", "json")


def main(argv: Sequence[str] | None = None) -> int:
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


def add_answer_options(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="text", help="how to print the answer (%(default)s)")
    parser.add_argument("--output", type=Path, help="also write the answer to this file (e.g. a CI artifact)")
    parser.add_argument("--job", help="the job's name, shown in the heading")
    parser.set_defaults(run=run_answer)


def run_answer(args: argparse.Namespace) -> int:
    reports = [answer_report(args)]
    return finish(reports, args, rendered(reports, args.format))
