"""Where a deploy goes: a local folder, or `user@host:/path` reached with ssh. Both expose the same few actions,
run with tools every Linux VM has (rsync, sha256sum, mv): VM2 needs no Python environment of ours."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from resolver_core import registry
from resolver_core.files import fsync_dir

SSH_TIMEOUT_S = 15


class DeployError(RuntimeError):
    """A deploy that cannot go on; the message says what to do."""


def require_rsync() -> str:
    path = shutil.which("rsync")
    if path is None:
        raise DeployError("rsync is not installed on this machine: apt-get install rsync (VM2 needs it too)")
    return path


@dataclass
class LocalTarget:
    root: Path

    def describe(self, relative: str = "") -> str:
        return str(self.root / relative) if relative else str(self.root)

    def rsync_destination(self, relative: str) -> str:
        return f"{self.root / relative}/"

    def rsync_shell(self) -> list[str]:
        return []

    def check_reachable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeployError(f"cannot create the target folder {self.root}: {error}") from None

    def exists(self, relative: str) -> bool:
        return (self.root / relative).exists()

    def make_dirs(self, relative: str) -> None:
        (self.root / relative).mkdir(parents=True, exist_ok=True)

    def checksum_problems(self, relative: str, expected: dict[str, str]) -> list[str]:
        return registry.checksum_problems(self.root / relative, expected)

    def rename(self, source: str, destination: str) -> None:
        target = self.root / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise DeployError(f"{target} appeared during the deploy; not replacing it")
        os.rename(self.root / source, target)
        fsync_dir(target.parent)

    def write_alias(self, alias: str, version: str, entry: str) -> None:
        registry.record_alias(self.root, alias, version, json.loads(entry))

    def remove(self, relative: str) -> None:
        shutil.rmtree(self.root / relative, ignore_errors=True)


@dataclass
class SshTarget:
    host: str  # user@host or host
    root: str
    ssh_options: list[str] = field(default_factory=list)

    def describe(self, relative: str = "") -> str:
        return f"{self.host}:{self.root}/{relative}" if relative else f"{self.host}:{self.root}"

    def rsync_destination(self, relative: str) -> str:
        return f"{self.host}:{shlex.quote(f'{self.root}/{relative}')}/"

    def rsync_shell(self) -> list[str]:
        return ["-e", shlex.join(["ssh", *self._base_options(), *self.ssh_options])]

    def _base_options(self) -> list[str]:
        return ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={SSH_TIMEOUT_S}"]

    def run(self, script: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess:
        command = ["ssh", *self._base_options(), *self.ssh_options, self.host, script]
        try:
            result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            raise DeployError(f"ssh to {self.host} timed out running: {script}") from None
        if check and result.returncode != 0:
            raise DeployError(f"on {self.host}: `{script}` failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def check_reachable(self) -> None:
        if shutil.which("ssh") is None:
            raise DeployError("ssh is not installed on this machine: apt-get install openssh-client")
        result = self.run("command -v rsync && command -v sha256sum", check=False)
        if result.returncode == 255:
            raise DeployError(
                f"cannot reach {self.host} over ssh: {result.stderr.strip() or 'connection failed'} — check "
                "DEPLOY_TARGET and DEPLOY_SSH_OPTIONS (e.g. '-p 2222 -i ~/.ssh/deploy_key')"
            )
        if result.returncode != 0:
            raise DeployError(f"{self.host} lacks rsync or sha256sum: apt-get install rsync coreutils there")
        self.run(f"mkdir -p {shlex.quote(self.root)}")

    def exists(self, relative: str) -> bool:
        return self.run(f"test -e {self._quoted(relative)}", check=False).returncode == 0

    def make_dirs(self, relative: str) -> None:
        self.run(f"mkdir -p {self._quoted(relative)}")

    def checksum_problems(self, relative: str, expected: dict[str, str]) -> list[str]:
        """`sha256sum -c` on the target, fed the expected sums: the check runs where the files are."""
        lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(expected.items()))
        result = self.run(f"cd {self._quoted(relative)} && sha256sum -c -", stdin=lines, check=False)
        problems = []
        for line in result.stdout.splitlines():
            name, _, status = line.rpartition(": ")
            if status != "OK":
                problems.append(f"{name}: {'missing' if 'open or read' in status else 'sha256 mismatch'}")
        if result.returncode != 0 and not problems:
            problems.append(f"checksum check failed: {result.stderr.strip()}")
        return problems

    def rename(self, source: str, destination: str) -> None:
        parent = shlex.quote(str(Path(self.root, destination).parent))
        # mv -T renames with rename(2) and refuses to merge into an existing non-empty folder.
        self.run(f"mkdir -p {parent} && mv -T {self._quoted(source)} {self._quoted(destination)} && sync {parent}")

    def write_alias(self, alias: str, version: str, entry: str) -> None:
        folder = self._quoted("aliases")
        self.run(
            f"mkdir -p {folder} && printf '%s\\n' {shlex.quote(version)} > {folder}/.{alias}.tmp && "
            f"mv -f {folder}/.{alias}.tmp {folder}/{alias} && cat >> {folder}/history.jsonl",
            stdin=entry + "\n",
        )

    def remove(self, relative: str) -> None:
        self.run(f"rm -rf {self._quoted(relative)}", check=False)

    def _quoted(self, relative: str) -> str:
        return shlex.quote(f"{self.root}/{relative}")


Target = LocalTarget | SshTarget


def parse_target(spec: str, ssh_options: str) -> Target:
    """`user@host:/path` (or `host:/path`) → ssh; anything else is a local folder."""
    host, sep, path = spec.partition(":")
    if sep and host and "/" not in host and path:
        return SshTarget(host=host, root=path.rstrip("/") or "/", ssh_options=shlex.split(ssh_options))
    return LocalTarget(Path(spec).expanduser().resolve())
