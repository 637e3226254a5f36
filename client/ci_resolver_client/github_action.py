"""What `ci-resolver github` does (see github.py): the jobs' logs explained, the summary, the outputs and the
pull-request comment. Loaded only when that command runs: every other run of the client starts without it."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_resolver_client.answers import answer_report, finish
from ci_resolver_client.github_api import GitHubApi, GitHubError
from ci_resolver_client.render import Report, as_markdown, as_text, error_report

COMMENT_MARKER = "<!-- ci-resolver:answer -->"
MAX_SUMMARY_BYTES = 1024 * 1024  # GitHub's limit for one step's summary
MAX_COMMENT_CHARS = 65536  # GitHub's limit for a comment body
PLAIN_OUTPUT = re.compile(r"^[\w.:-]{0,200}$")


@dataclass(frozen=True)
class GitHubRun:
    """What the runner tells a step about where it runs (the GITHUB_* variables)."""

    api: GitHubApi
    repository: str
    event: dict[str, Any]
    summary_path: str | None
    output_path: str | None

    @classmethod
    def from_environ(cls) -> GitHubRun:
        env = os.environ
        event: dict[str, Any] = {}
        if env.get("GITHUB_EVENT_PATH") and Path(env["GITHUB_EVENT_PATH"]).is_file():
            event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        api = GitHubApi(env.get("GITHUB_API_URL", "https://api.github.com"), env.get("GITHUB_TOKEN", ""))
        return cls(
            api, env.get("GITHUB_REPOSITORY", ""), event, env.get("GITHUB_STEP_SUMMARY"), env.get("GITHUB_OUTPUT")
        )

    def pull_request(self) -> tuple[int | None, str]:
        """The pull request this run is for, or None with the reason a comment is not posted."""
        if "workflow_run" in self.event:
            run = self.event["workflow_run"]
            head = (run.get("head_repository") or {}).get("full_name")
            if head != (run.get("repository") or {}).get("full_name"):
                return None, "the run is for a fork's pull request"
            pulls = run.get("pull_requests") or []
            return (pulls[0]["number"], "") if pulls else (None, "the run is for no pull request")
        pull = self.event.get("pull_request")
        if not pull:
            return None, "the run is for no pull request"
        if ((pull.get("head") or {}).get("repo") or {}).get("full_name") != self.repository:
            return None, "the pull request comes from a fork"
        return pull["number"], ""


def run_github(args: argparse.Namespace) -> int:
    run = GitHubRun.from_environ()
    with tempfile.TemporaryDirectory(prefix="ci-resolver-") as folder:
        reports = explain_jobs(args, run, Path(folder))
    markdown = as_markdown(reports)
    write_summary(run, markdown)
    write_outputs(run, reports[0])
    text = as_text(reports)
    if args.pr_comment == "true":
        text += comment_on_pull_request(run, markdown) + "\n"
    return finish(reports, args, without_commands(text))


def explain_jobs(args: argparse.Namespace, run: GitHubRun, folder: Path) -> list[Report]:
    if args.log:
        return [answer_report(args)]
    if not args.run_id:
        return [error_report("nothing to explain: give --log (in the failing job) or --run-id (workflow_run)")]
    try:
        failed = run.api.failed_jobs(run.repository, args.run_id)
    except GitHubError as error:
        return [error_report(f"cannot list the run's jobs: {error}")]
    if not failed:
        return [error_report(f"run {args.run_id} has no failed job")]
    reports = []
    for job_id, name in failed[: args.max_jobs]:
        reports.append(explain_job(args, run, folder, job_id, name))
    return reports


def explain_job(args: argparse.Namespace, run: GitHubRun, folder: Path, job_id: int, name: str) -> Report:
    path = folder / f"job-{job_id}.log"
    try:
        run.api.download_job_log(run.repository, job_id, path)
    except GitHubError as error:
        return error_report(f"cannot download the job's log: {error}", name)
    job_args = argparse.Namespace(**{**vars(args), "job": name, "log": str(path)})
    return answer_report(job_args)


def write_summary(run: GitHubRun, markdown: str) -> None:
    if not run.summary_path:
        return
    data = markdown.encode("utf-8")
    if len(data) > MAX_SUMMARY_BYTES:
        note = b"\n\n*(cut to GitHub's summary limit)*\n"
        data = data[: MAX_SUMMARY_BYTES - len(note)].decode("utf-8", "ignore").encode() + note
    with open(run.summary_path, "ab") as summary:
        summary.write(data + b"\n")


def write_outputs(run: GitHubRun, report: Report) -> None:
    """known-fix, answer-id and fingerprint of the (first) answer, for later steps."""
    if not run.output_path:
        return
    answer = report.answer or {}
    outputs = {
        "known-fix": "true" if answer.get("known_fix") else "false",
        "answer-id": answer.get("answer_id") or "",
        "fingerprint": (answer.get("log") or {}).get("fingerprint", ""),
    }
    with open(run.output_path, "a", encoding="utf-8") as output:
        for name, value in outputs.items():
            output.write(f"{name}={value if PLAIN_OUTPUT.match(str(value)) else ''}\n")


def comment_on_pull_request(run: GitHubRun, markdown: str) -> str:
    """Create or edit the one ci-resolver comment on the run's pull request; a line saying what was done."""
    number, why_not = run.pull_request()
    if number is None:
        return f"ci-resolver: no pull-request comment: {why_not}"
    body = f"{COMMENT_MARKER}\n{markdown}"
    if len(body) > MAX_COMMENT_CHARS:
        body = body[: MAX_COMMENT_CHARS - 40] + "\n\n*(cut to GitHub's comment limit)*"
    try:
        action = run.api.upsert_comment(run.repository, number, COMMENT_MARKER, body)
    except GitHubError as error:
        return f"ci-resolver: the pull-request comment failed: {error}"
    return f"ci-resolver: {action} the comment on pull request #{number}"


def without_commands(text: str) -> str:
    """The text with the runner's workflow commands switched off around it: quoted log lines stay data."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n{text}\n::{token}::"
