"""The seed's interchange format: issues_resolutions.json, a JSON list of {"issue", "resolution"} objects."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SEED_FILE_NAME = "issues_resolutions.json"


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def dump_pairs(pairs: list[dict[str, str]]) -> bytes:
    return json.dumps(
        [{"issue": p["issue"], "resolution": p["resolution"]} for p in pairs], indent=2, ensure_ascii=False
    ).encode()


def write_pairs(path: Path, pairs: list[dict[str, str]]) -> None:
    write_atomically(path, dump_pairs(pairs))


def read_pairs(path: Path) -> list[Any]:
    """Read a seed file; raise ValueError when it is not a JSON list."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of {{'issue', 'resolution'}} objects")
    return data
