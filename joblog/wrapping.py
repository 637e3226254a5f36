"""Whole job logs made around short failure excerpts, for measuring: the excerpt buried in successful-step output
of its ecosystem, as a CI system prints it (timestamps, colours, collapsible groups, the runner's own verdict and
clean-up). Deterministic: the same excerpt, ecosystem and seed give the same log.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass

from joblog.rules import is_generic

GREEN, RESET, BOLD = "\x1b[32m", "\x1b[0m", "\x1b[1m"
STEP_OUTPUT: dict[str, tuple[str, ...]] = {
    "npm": (
        "npm WARN deprecated inflight@1.0.{n}: This module is not supported, and leaks memory.",
        "added {n} packages, and audited {m} packages in {n}s",
        "found 0 vulnerabilities",
        "> build@1.{n}.0 lint",
        "✔ {n} files linted, 0 errors",
    ),
    "python": (
        "Collecting requests>=2.{n} (from -r requirements.txt (line {n}))",
        "  Downloading requests-2.31.{n}-py3-none-any.whl ({n} kB)",
        "Successfully installed idna-3.{n} six-1.16.0",
        "tests/test_api_{n}.py::test_round_trip[{m}] PASSED",
        "============ {n} passed, 0 failed in {m}.2s ============",
    ),
    "maven": (
        "[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/apache/commons/3.{n}/x.pom",
        "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/com/google/guava/3{n}.0/x.jar ({m} kB)",
        "[INFO] --- maven-compiler-plugin:3.{n}.0:compile (default-compile) @ service-{n} ---",
        "[INFO] Tests run: {n}, Failures: 0, Errors: 0, Skipped: 0",
        "[INFO] Building jar: /home/runner/work/app/target/app-{n}.jar",
    ),
    "gradle": (
        "> Task :app:compileJava UP-TO-DATE",
        "> Task :lib-{n}:processResources NO-SOURCE",
        "Download https://repo.maven.apache.org/maven2/org/jetbrains/kotlin/kotlin-stdlib/1.{n}.0/x.pom",
        "> Task :app:test",
        "BUILD SUCCESSFUL in {n}s",
        "{n} actionable tasks: {m} executed",
    ),
    "go": (
        "go: downloading github.com/stretchr/testify v1.{n}.0",
        "ok  \tgithub.com/acme/service/internal/store{n}\t0.{m}s",
        "?   \tgithub.com/acme/service/cmd/tool{n}\t[no test files]",
        "--- PASS: TestHandler{n} (0.0{n}s)",
    ),
    "cargo": (
        "   Compiling serde v1.0.{n}",
        "   Compiling tokio v1.{n}.0",
        "    Finished dev [unoptimized + debuginfo] target(s) in {n}.{m}s",
        "test tests::parses_{n} ... ok",
        "test result: ok. {n} passed; 0 failed; 0 ignored",
    ),
    "docker": (
        "#{n} [stage-1 {n}/9] RUN apt-get update && apt-get install -y curl",
        "#{n} sha256:{h} {m}.2MB / {m}.2MB {n}.1s done",
        "#{n} DONE 0.{n}s",
        "Step {n}/14 : COPY . /app",
        " ---> Using cache",
        " ---> {h}",
    ),
    "shell": (
        "+ echo 'stage {n} done'",
        "stage {n} done",
        "Reading package lists... Done",
        "Setting up libssl3:amd64 (3.0.{n}-1) ...",
        "Processing triggers for man-db (2.{n}.1-1) ...",
    ),
}
ECOSYSTEM_FAMILY = {
    **dict.fromkeys(("yarn", "pnpm", "node"), "npm"),
    **dict.fromkeys(("pip", "poetry", "pytest"), "python"),
    **dict.fromkeys(("kubernetes", "helm"), "docker"),
    "java": "maven",
    "rust": "cargo",
}
CI_FLAVOURS = ("github", "gitlab", "jenkins")
GITHUB_END = (
    "##[error]Process completed with exit code 1.",
    "Post job cleanup.",
    "[command]/usr/bin/git version",
    "Cleaning up orphan processes",
)
GITLAB_END = ("Cleaning up project directory and file based variables", "ERROR: Job failed: exit code 1")
JENKINS_END = ("[Pipeline] }", "[Pipeline] // stage", "Finished: FAILURE")


@dataclass(frozen=True)
class WrappedLog:
    data: bytes  # gzip-compressed when `gzipped`
    gzipped: bool
    flavour: str
    excerpt_first_line: int  # 1-based, in the log


def wrap_excerpt(excerpt: str, ecosystem: str, seed: int, size_bytes: int, gzipped: bool = False) -> WrappedLog:
    """`excerpt` inside about `size_bytes` of successful-step output of `ecosystem`, printed by a CI system."""
    rng = random.Random(seed)
    flavour = CI_FLAVOURS[seed % len(CI_FLAVOURS)]
    family = ECOSYSTEM_FAMILY.get(ecosystem, ecosystem if ecosystem in STEP_OUTPUT else "shell")
    before = _noise(rng, [*STEP_OUTPUT[family], *STEP_OUTPUT["shell"]], int(size_bytes * 0.95))
    after = [rng.choice(STEP_OUTPUT["shell"]).format(n=1, m=100, h="0") for _ in range(rng.randint(0, 3))]
    lines = [f"##[group]Run setup ({family})", *before, "##[endgroup]", *excerpt.splitlines(), *after]
    lines += {"github": GITHUB_END, "gitlab": GITLAB_END, "jenkins": JENKINS_END}[flavour]
    printed = [_printed(line, flavour, number, rng) for number, line in enumerate(lines)]
    data = ("\n".join(printed) + "\n").encode()
    return WrappedLog(gzip.compress(data, mtime=0) if gzipped else data, gzipped, flavour, len(before) + 3)


def decisive_line(excerpt: str, issue: str) -> str:
    """The excerpt's line that shares the most words with the failure's own description (the line a person would
    search for); the measure of whether an extractor found the failure."""
    wanted = set(_words(issue))
    lines = [line.strip() for line in excerpt.splitlines() if line.strip() and not is_generic(line)]
    return max(lines, key=lambda line: (len(wanted & set(_words(line))), -lines.index(line)))


def _noise(rng: random.Random, templates: list[str] | tuple[str, ...], size_bytes: int) -> list[str]:
    lines, used = [], 0
    while used < size_bytes:
        line = rng.choice(templates).format(
            n=rng.randint(1, 99), m=rng.randint(100, 9999), h=f"{rng.getrandbits(48):012x}"
        )
        lines.append(line)
        used += len(line) + 30  # with the CI prefix it is printed with
    return lines


def _printed(line: str, flavour: str, number: int, rng: random.Random) -> str:
    seconds = 3600 + number // 50
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    stamp = f"2026-03-0{1 + number % 2}T{clock}.{rng.randint(0, 9999999):07d}Z"
    if rng.random() < 0.05:
        line = f"{GREEN}{BOLD}{line}{RESET}"
    if flavour == "github":
        return f"{stamp} {line}"
    if flavour == "gitlab":
        return f"{stamp} 00O {line}"
    return f"[{stamp[:23]}Z] {line}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_.@/-]{3,}", text.lower())
