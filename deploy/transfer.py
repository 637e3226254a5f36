"""Deploy one version: verify it here, rsync it to a hidden name on the target, verify every sha256 there, rename.

Nothing half-copied is ever visible under the version's name: an interrupted deploy leaves only the hidden
`.incoming.<version>` folder, which the next deploy reuses (rsync sends only what is missing) and then renames.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deploy.targets import DeployError, Target, require_rsync
from resolver_core import registry
from resolver_core.base_model import BaseModelError, fingerprint_mismatches, sha256_file
from resolver_core.manifest import BaseFingerprint, Manifest

log = logging.getLogger(__name__)


@dataclass
class DeployReport:
    version: str
    target: str
    base: str  # "present" or "copied"
    status: str  # "deployed" or "already deployed"
    files: int
    seconds: float

    def as_json(self) -> str:
        return json.dumps(self.__dict__)


def deploy_version(
    models_dir: Path, base_path: Path, name: str, target: Target, with_base: bool, show_progress: bool = True
) -> DeployReport:
    started = time.monotonic()
    rsync = require_rsync()
    version, source, manifest = _verified_source(models_dir, name)
    expected = {**manifest.files, registry.MANIFEST_NAME: sha256_file(source / registry.MANIFEST_NAME)}
    target.check_reachable()
    base = _ensure_base(target, base_path, manifest.base_model, with_base, rsync, show_progress)
    if target.exists(version):
        problems = target.checksum_problems(version, expected)
        if problems:
            raise DeployError(
                f"{target.describe(version)} exists but fails verification ({'; '.join(problems)}): versions are "
                "immutable, so remove that folder on the target and deploy again"
            )
        status = "already deployed"
    else:
        _copy_verified(source, target, f".incoming.{version}", version, expected, rsync, show_progress)
        status = "deployed"
    entry = {
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "alias": "latest",
        "version": version,
        "reason": "make deploy",
    }
    target.write_alias("latest", version, json.dumps(entry))
    return DeployReport(version, target.describe(version), base, status, len(expected), time.monotonic() - started)


def _verified_source(models_dir: Path, name: str) -> tuple[str, Path, Manifest]:
    try:
        version, source, manifest, problems = registry.checked_version(models_dir, name)
    except registry.RegistryError as error:
        raise DeployError(f"{error} — `make versions` lists what can be deployed") from None
    if problems or manifest is None:
        raise DeployError(
            f"the local copy of {version} fails verification ({'; '.join(problems)}): checksum mismatch, "
            "not deploying it — retrain, or restore the folder from a backup"
        )
    return version, source, manifest


def _copy_verified(
    source: Path, target: Target, temporary: str, final: str, expected: dict[str, str], rsync: str, progress: bool
) -> None:
    log.info("copying", extra={"source": str(source), "target": target.describe(final)})
    target.make_dirs(str(Path(temporary).parent))
    _rsync(rsync, source, target, temporary, progress)
    problems = target.checksum_problems(temporary, expected)
    if problems:
        target.remove(temporary)
        raise DeployError(
            f"checksum mismatch on {target.describe()} after the copy ({'; '.join(problems)}); nothing was made "
            "visible — check the target's disk and deploy again"
        )
    target.rename(temporary, final)


def _rsync(rsync: str, source: Path, target: Target, relative: str, progress: bool) -> None:
    command = [rsync, "-a", "--delete", *target.rsync_shell(), f"{source}/", target.rsync_destination(relative)]
    if progress:
        command.insert(2, "--info=progress2")
    result = subprocess.run(command, stdout=None if progress else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        hint = " (target unreachable?)" if result.returncode in (12, 255) else ""
        raise DeployError(f"rsync to {target.describe(relative)} failed{hint}: {result.stderr.strip()[-800:]}")


def _ensure_base(
    target: Target, base_path: Path, fingerprint: BaseFingerprint | None, with_base: bool, rsync: str, progress: bool
) -> str:
    """The base the version was trained on must be at <target>/base/<id> with matching hashes."""
    if fingerprint is None or not fingerprint.files:
        raise DeployError("the manifest records no base model fingerprint; retrain this version with the trainer")
    relative = f"base/{fingerprint.id}"
    if target.exists(relative):
        problems = target.checksum_problems(relative, fingerprint.files)
        if not problems:
            return "present"
        raise DeployError(
            f"{target.describe(relative)} is not the base this version was trained on ({'; '.join(problems)}): "
            "move it aside on the target, then deploy with --with-base"
        )
    if not with_base:
        raise DeployError(
            f"the target has no base model at {target.describe(relative)}: add --with-base "
            "(make deploy VERSION=… DEPLOY_ARGS=--with-base) to copy it, verified, or put it there yourself"
        )
    problems = fingerprint_mismatches(base_path, fingerprint.files)
    if problems:
        raise DeployError(f"BASE_MODEL_PATH {base_path} is not the base this version was trained on: {problems}")
    try:
        expected = {p.name: sha256_file(p) for p in sorted(Path(base_path).iterdir()) if p.is_file()}
    except (OSError, BaseModelError) as error:
        raise DeployError(f"cannot read the base model at {base_path}: {error}") from None
    _copy_verified(Path(base_path), target, f"base/.incoming.{fingerprint.id}", relative, expected, rsync, progress)
    return "copied"
