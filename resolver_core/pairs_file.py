"""The pairs file (issues_resolutions.json), the interchange format: a JSON list of {"issue", "resolution"}
objects, each optionally with "log_excerpt" (the log lines that identify the failure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from resolver_core.files import write_atomically

PAIRS_FILE_NAME = "issues_resolutions.json"


def dump_pairs(pairs: list[dict[str, Any]]) -> bytes:
    return json.dumps([_row(p) for p in pairs], indent=2, ensure_ascii=False).encode()


def _row(pair: dict[str, Any]) -> dict[str, str]:
    row = {"issue": pair["issue"], "resolution": pair["resolution"]}
    if pair.get("log_excerpt"):
        row["log_excerpt"] = pair["log_excerpt"]
    return row


def write_pairs(path: Path, pairs: list[dict[str, Any]]) -> None:
    write_atomically(path, dump_pairs(pairs))


def read_pairs(path: Path) -> list[Any]:
    """Read a pairs file; raise ValueError when it is not a JSON list."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of {{'issue', 'resolution'}} objects")
    return data
