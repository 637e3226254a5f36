"""The GitHub Action (action.yml) run as the runner runs it, against a real VM2 and a loopback stand-in for
GitHub's REST API: the job summary, the step's outputs, one pull-request comment kept up to date, never on a fork,
and the workflow_run convention that downloads the failed jobs' logs."""

from __future__ import annotations

from pathlib import Path

from tests.integrations.composite_action import run_action
from tests.integrations.conftest import AnsweringVm2
from tests.integrations.github_double import TOKEN, GitHubDouble, event_file, github_double

PULL_REQUEST = {"number": 7, "head": {"repo": {"full_name": "acme/shop"}}}


def runner_env(github: GitHubDouble, event: dict, folder: Path) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_EVENT_PATH": str(event_file(folder, event)),
    }


def test_in_the_failing_job_the_known_fix_reaches_the_summary_outputs_and_one_pr_comment(answering_vm2, tmp_path):
    vm2: AnsweringVm2 = answering_vm2
    inputs = {"vm2-url": vm2.server.base_url, "log": str(vm2.known_log), "pr-comment": "true"}
    with github_double() as github:
        first = run_action(inputs, runner_env(github, {"pull_request": PULL_REQUEST}, tmp_path), tmp_path)
        second = run_action(inputs, runner_env(github, {"pull_request": PULL_REQUEST}, tmp_path), tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.outputs["known-fix"] == "true" and first.outputs["answer-id"].startswith("ans_")
    assert len(first.outputs["fingerprint"]) == 16 and first.outputs["fingerprint"] == second.outputs["fingerprint"]
    assert "ci-resolver: known fix" in first.summary and "No module named 'app'" in first.summary
    assert f"{vm2.server.base_url}/?answer={first.outputs['answer-id']}" in first.summary
    assert "created the comment on pull request #7" in first.stdout
    assert "edited the comment on pull request #7" in second.stdout
    assert len(github.comments) == 1  # edited, never a second comment
    assert second.outputs["answer-id"] in github.comments[0]["body"]
    assert "Seen 2 times in the last 7 days" in github.comments[0]["body"]
    assert first.stdout.startswith("::stop-commands::")  # quoted log lines cannot act as workflow commands


def test_a_forks_pull_request_gets_no_comment(answering_vm2, tmp_path):
    vm2: AnsweringVm2 = answering_vm2
    fork = {"number": 7, "head": {"repo": {"full_name": "mallory/shop"}}}
    inputs = {"vm2-url": vm2.server.base_url, "log": str(vm2.known_log), "pr-comment": "true"}
    with github_double() as github:
        result = run_action(inputs, runner_env(github, {"pull_request": fork}, tmp_path), tmp_path)
    assert result.returncode == 0 and "the pull request comes from a fork" in result.stdout
    assert github.comments == [] and not any("comments" in call for call in github.calls)


def test_a_workflow_run_downloads_the_failed_jobs_logs_without_sending_the_token_to_storage(answering_vm2, tmp_path):
    vm2: AnsweringVm2 = answering_vm2
    run = {
        "id": 42,
        "pull_requests": [{"number": 7}],
        "head_repository": {"full_name": "acme/shop"},
        "repository": {"full_name": "acme/shop"},
    }
    inputs = {"vm2-url": vm2.server.base_url, "run-id": "42", "pr-comment": "true"}
    with github_double() as github:
        github.jobs = [
            {"id": 1, "name": "lint", "conclusion": "success"},
            {"id": 2, "name": "test (3.11)", "conclusion": "failure"},
        ]
        github.logs = {2: vm2.known_log.read_bytes()}
        result = run_action(inputs, runner_env(github, {"workflow_run": run}, tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ci-resolver: known fix for test (3.11)" in result.summary and "lint" not in result.summary
    assert len(github.log_downloads) == 1 and "authorization" not in github.log_downloads[0]
    assert len(github.comments) == 1 and "test (3.11)" in github.comments[0]["body"]


def test_vm2_down_changes_nothing_and_says_so_once(tmp_path):
    with github_double() as github:
        log = tmp_path / "build.log"
        log.write_text("error: something broke\n")
        inputs = {"vm2-url": "http://127.0.0.1:9", "log": str(log)}
        result = run_action(inputs, runner_env(github, {}, tmp_path), tmp_path)
        strict = run_action({**inputs, "fail-on-error": "true"}, runner_env(github, {}, tmp_path), tmp_path)
    assert result.returncode == 0 and result.stderr.count("unreachable") == 1
    assert result.outputs == {"known-fix": "false", "answer-id": "", "fingerprint": ""}
    assert "ci-resolver: no answer" in result.summary
    assert strict.returncode == 1
