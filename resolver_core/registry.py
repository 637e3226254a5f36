"""The model registry: immutable version folders under MODELS_DIR, their manifests, checksums and aliases.

Layout::

    models/
      20261126T083100Z/          one training run, never modified after publish
        adapter_config.json, adapter_model.safetensors, issues_resolutions.json, manifest.json
      aliases/latest             a version id; replaced atomically
      aliases/promoted
      aliases/history.jsonl      append-only record of every alias change
      base/<base id>/            base models (the embedded default lives here)
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from resolver_core.base_model import sha256_file
from resolver_core.files import append_durably, fsync_dir, write_atomically
from resolver_core.manifest import SCHEMA_VERSION, Manifest

VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z$")
VERSION_FORMAT = "%Y%m%dT%H%M%SZ"
MANIFEST_NAME = "manifest.json"
ALIASES_DIR = "aliases"
ALIAS_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class RegistryError(RuntimeError):
    """Unknown version or alias, or a version folder that fails verification."""


def is_version_id(name: str) -> bool:
    return bool(VERSION_PATTERN.match(name))


def list_versions(models_dir: Path) -> list[str]:
    """Published versions, oldest first (ids are UTC timestamps, so they sort by time)."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if p.is_dir() and is_version_id(p.name))


def new_version_id(models_dir: Path, now: datetime | None = None) -> str:
    """A UTC timestamp id that no published or staged version uses yet."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    taken = set(list_versions(models_dir)) | {p.name.split(".")[1] for p in Path(models_dir).glob(".staging.*")}
    while moment.strftime(VERSION_FORMAT) in taken:
        moment += timedelta(seconds=1)
    return moment.strftime(VERSION_FORMAT)


def staging_dir(models_dir: Path, version: str) -> Path:
    """Where a version is built: hidden, inside MODELS_DIR so publishing is one rename on the same filesystem."""
    return Path(models_dir) / f".staging.{version}"


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` except the manifest itself, keyed by relative POSIX path."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


def write_manifest(folder: Path, manifest: Manifest) -> Manifest:
    """Add the checksum of every file to the manifest and write it into the folder (the only writer)."""
    manifest = manifest.model_copy(update={"schema_version": SCHEMA_VERSION, "files": file_checksums(folder)})
    write_atomically(Path(folder) / MANIFEST_NAME, manifest.to_json())
    return manifest


def read_manifest(folder: Path) -> Manifest:
    """The version's manifest (the only reader); RegistryError when it is missing, unreadable or too new."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise RegistryError(f"{folder} has no {MANIFEST_NAME}: not a published version")
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        raise RegistryError(f"{path} is not a valid manifest: {_first_problem(error)}") from None
    if manifest.schema_version > SCHEMA_VERSION:
        raise RegistryError(
            f"{path} has schema_version {manifest.schema_version}, newer than this code reads ({SCHEMA_VERSION}): "
            "upgrade this machine's ci-resolver"
        )
    return manifest


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(map(str, first['loc'])) or 'file'}: {first['msg']}"


def checksum_problems(folder: Path, expected: dict[str, str]) -> list[str]:
    """Files of `expected` ({relative path: sha256}) that are missing from `folder` or differ."""
    problems = []
    for name, digest in sorted(expected.items()):
        path = Path(folder) / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: sha256 mismatch")
    return problems


def verify_checksums(folder: Path) -> list[str]:
    """Problems found comparing the folder's files to its manifest; an empty list means it verifies."""
    folder = Path(folder)
    try:
        expected = read_manifest(folder).files
    except RegistryError as error:
        return [f"{MANIFEST_NAME}: unreadable ({error})"]
    problems = checksum_problems(folder, expected)
    extra = set(file_checksums(folder)) - set(expected)
    problems += [f"{name}: not in the manifest" for name in sorted(extra)]
    return problems


def checked_version(models_dir: Path, name: str) -> tuple[str, Path, Manifest | None, list[str]]:
    """Resolve `name` (an id or an alias) and check every file against the manifest: (version, folder, manifest,
    problems); the manifest is None when there are problems. RegistryError when `name` resolves to nothing."""
    version = resolve_version(models_dir, name)
    folder = Path(models_dir) / version
    problems = verify_checksums(folder)
    return version, folder, None if problems else read_manifest(folder), problems


def publish_version(models_dir: Path, version: str) -> Path:
    """Make a staged version visible with one atomic rename; refuse to replace an existing version."""
    source = staging_dir(models_dir, version)
    target = Path(models_dir) / version
    if target.exists():
        raise RegistryError(f"version {version} already exists; versions are immutable")
    for path in source.rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    os.rename(source, target)
    fsync_dir(Path(models_dir))
    return target


def discard_staging(models_dir: Path) -> None:
    for path in Path(models_dir).glob(".staging.*"):
        shutil.rmtree(path, ignore_errors=True)


def read_alias(models_dir: Path, alias: str) -> str | None:
    path = Path(models_dir) / ALIASES_DIR / alias
    return path.read_text().strip() if path.is_file() else None


def aliases(models_dir: Path) -> dict[str, str]:
    folder = Path(models_dir) / ALIASES_DIR
    if not folder.is_dir():
        return {}
    return {p.name: p.read_text().strip() for p in sorted(folder.iterdir()) if ALIAS_PATTERN.match(p.name)}


def set_alias(models_dir: Path, alias: str, version: str, reason: str = "") -> None:
    """Point an alias at a version (atomic file replace) and append the change to history.jsonl."""
    if not ALIAS_PATTERN.match(alias) or is_version_id(alias):
        raise RegistryError(f"alias {alias!r} must be a short lowercase name such as latest or promoted")
    if version not in list_versions(models_dir):
        raise RegistryError(f"unknown version {version!r}; known: {', '.join(list_versions(models_dir)) or 'none'}")
    entry = {
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "alias": alias,
        "version": version,
        "previous": read_alias(models_dir, alias),
        "reason": reason,
    }
    record_alias(models_dir, alias, version, entry)


def record_alias(models_dir: Path, alias: str, version: str, entry: dict[str, Any]) -> None:
    """Point `alias` at `version` (atomic replace) and append `entry` to aliases/history.jsonl (fsync'd)."""
    folder = Path(models_dir) / ALIASES_DIR
    write_atomically(folder / alias, f"{version}\n".encode())
    append_durably(folder / "history.jsonl", json.dumps(entry))


def alias_history(models_dir: Path) -> list[dict[str, Any]]:
    path = Path(models_dir) / ALIASES_DIR / "history.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def resolve_version(models_dir: Path, name: str) -> str:
    """A version id from a version id or an alias; RegistryError naming what exists otherwise."""
    versions = list_versions(models_dir)
    if is_version_id(name):
        if name in versions:
            return name
        raise RegistryError(f"unknown version {name!r} in {models_dir}; known: {', '.join(versions) or 'none'}")
    target = read_alias(models_dir, name)
    if target is None:
        known = ", ".join(aliases(models_dir)) or "none"
        raise RegistryError(f"unknown alias {name!r} in {models_dir}; aliases: {known}; versions: {len(versions)}")
    if target not in versions:
        raise RegistryError(f"alias {name!r} points at {target!r}, which is not in {models_dir}")
    return target


def version_dir(models_dir: Path, name: str) -> Path:
    return Path(models_dir) / resolve_version(models_dir, name)
