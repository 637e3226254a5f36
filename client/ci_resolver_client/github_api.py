"""The few GitHub REST calls the action makes: a run's failed jobs, a job's log, one pull-request comment.

The token goes to the API host only: a job log is served by a redirect to storage elsewhere, which is fetched
without it."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_resolver_client import __version__

PER_PAGE = 100
MAX_PAGES = 10
TIMEOUT_S = 60.0


class GitHubError(Exception):
    """A GitHub API call failed: the message says which and why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the caller follows it itself, without the token


@dataclass(frozen=True)
class GitHubApi:
    url: str  # GITHUB_API_URL: https://api.github.com, or a GitHub Enterprise server's
    token: str

    def failed_jobs(self, repository: str, run_id: str) -> list[tuple[int, str]]:
        """(job id, name) of the run's latest attempt's failed jobs."""
        failed = []
        for page in range(1, MAX_PAGES + 1):
            path = f"/repos/{repository}/actions/runs/{run_id}/jobs?filter=latest&per_page={PER_PAGE}&page={page}"
            jobs = self._json("GET", path)["jobs"]
            failed += [(job["id"], job["name"]) for job in jobs if job.get("conclusion") == "failure"]
            if len(jobs) < PER_PAGE:
                break
        return failed

    def download_job_log(self, repository: str, job_id: int, path: Path) -> None:
        request = self._request("GET", f"/repos/{repository}/actions/jobs/{job_id}/logs")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=TIMEOUT_S)
        except urllib.error.HTTPError as error:
            if error.code not in (301, 302, 303, 307, 308) or not error.headers.get("Location"):
                raise GitHubError(f"GET job {job_id}'s log: {error.code} {error.reason}") from None
            response = self._open(urllib.request.Request(error.headers["Location"]), f"job {job_id}'s log")
        with response, open(path, "wb") as log:
            shutil.copyfileobj(response, log)

    def upsert_comment(self, repository: str, number: int, marker: str, body: str) -> str:
        """Edit the pull request's comment that holds `marker`, or create it; 'edited' or 'created'."""
        for page in range(1, MAX_PAGES + 1):
            path = f"/repos/{repository}/issues/{number}/comments?per_page={PER_PAGE}&page={page}"
            comments = self._json("GET", path)
            for comment in comments:
                if marker in (comment.get("body") or ""):
                    self._json("PATCH", f"/repos/{repository}/issues/comments/{comment['id']}", {"body": body})
                    return "edited"
            if len(comments) < PER_PAGE:
                break
        self._json("POST", f"/repos/{repository}/issues/{number}/comments", {"body": body})
        return "created"

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> urllib.request.Request:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.url.rstrip("/") + path, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", f"ci-resolver-client/{__version__}")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        return request

    def _json(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        what = f"{method} {path.split('?')[0]}"
        with self._open(self._request(method, path, payload), what) as response:
            try:
                return json.loads(response.read() or b"null")
            except ValueError:
                raise GitHubError(f"{what}: the reply is not JSON") from None

    @staticmethod
    def _open(request: urllib.request.Request, what: str) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT_S)
        except urllib.error.HTTPError as error:
            raise GitHubError(f"{what}: {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            raise GitHubError(f"{what}: {getattr(error, 'reason', error)}") from None
