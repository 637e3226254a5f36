"""`ci-resolver github`: what the GitHub Action runs (action.yml at the repository's root).

Two conventions: in the failing job, a step `if: failure()` explains the log the job captured (`--log`); in a
separate `workflow_run` workflow, the failed jobs' logs are downloaded with the run's token (`--run-id`). Either
way the answer goes to the job summary and the step's outputs, and optionally to one pull-request comment that is
edited on every run (found by a hidden marker), never posted again; never on a fork's pull request."""

from __future__ import annotations

import argparse

from ci_resolver_client.answers import add_connection_options


def add_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "github",
        help="the GitHub Action's entry point (see action.yml)",
        description="Explain a failed GitHub Actions job; write the job summary, the step's outputs and optionally "
        "one pull-request comment. Reads GITHUB_* variables as the runner sets them.",
    )
    add_connection_options(parser)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--log", help="the failed job's captured log (a step `if: failure()` in that job)")
    source.add_argument("--run-id", help="explain the failed jobs of this workflow run (a `workflow_run` workflow)")
    parser.add_argument("--max-jobs", type=int, default=5, help="failed jobs explained at most (%(default)s)")
    parser.add_argument(
        "--pr-comment", choices=("true", "false"), default="false", help="keep one PR comment up to date"
    )
    parser.set_defaults(run=run_github, format="markdown", output=None, job=None)


def run_github(args: argparse.Namespace) -> int:
    from ci_resolver_client.github_action import run_github as run  # the action's code loads only when it runs

    return run(args)
