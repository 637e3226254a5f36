"""Pairs files (issues_resolutions.json) in and out of the store: validated import, export."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from resolver_core import pairs_file
from resolver_core.store import PairStore
from resolver_core.validation import FieldError, clean_pair
from submission.log_excerpts import checked_excerpt


@dataclass
class ImportReport:
    path: str
    sha256: str
    added: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped_already_imported: bool = False


def import_pairs_file(
    store: PairStore,
    path: Path,
    min_length: int,
    max_length: int,
    submitted_by: str = "seed-import",
    max_log_excerpt: int = 4000,
) -> ImportReport:
    """Import a pairs file once (keyed by its sha256) in one transaction; invalid rows are reported, not stored."""
    raw = Path(path).read_bytes()
    report = ImportReport(path=str(path), sha256=hashlib.sha256(raw).hexdigest())
    if store.import_recorded(report.sha256):
        report.skipped_already_imported = True
        return report
    valid: list[tuple[str, str, str | None]] = []
    for index, row in enumerate(pairs_file.read_pairs(Path(path))):
        try:
            if not isinstance(row, dict):
                raise FieldError("item", "must be an object with issue and resolution")
            issue, resolution = clean_pair(row.get("issue"), row.get("resolution"), min_length, max_length)
            valid.append((issue, resolution, checked_excerpt(row.get("log_excerpt"), max_log_excerpt)))
        except FieldError as error:
            report.rejected.append({"index": index, "field": error.field, "error": error.message})
    report.added = store.add_many(valid, submitted_by, source=f"import:{Path(path).name}")
    report.duplicates = len(valid) - report.added
    store.record_import(report.sha256, str(path), asdict(report))
    return report


def export_pairs_file(store: PairStore, path: Path, status: str = "approved") -> int:
    """Write the pairs of one status as a pairs file, atomically; return how many."""
    pairs = store.pairs_with_status(status)
    pairs_file.write_pairs(path, pairs)
    return len(pairs)
