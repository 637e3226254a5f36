"""One contract, both backends: what the services rely on from the store, checked on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver_core.store import DuplicatePair, PairStore, open_store
from resolver_core.store.migrations import LATEST
from submission.pairs_files import export_pairs_file, import_pairs_file

PAIRS = [(f"Pipeline {n} failed on lint step", f"Run the formatter, fix {n}") for n in range(5)]


def test_add_get_and_count(store: PairStore) -> None:
    pair_id, count = store.add(
        "Docker push denied", "Log in to the registry", "alice", source="runbook", tags=["docker"]
    )
    assert count == 1
    pair = store.get(pair_id)
    assert pair["issue"] == "Docker push denied" and pair["submitted_by"] == "alice" and pair["tags"] == ["docker"]
    assert pair["status"] == "approved" and pair["source"] == "runbook" and pair["created_at"].endswith("Z")
    assert store.get(pair_id + 1000) is None


def test_a_duplicate_names_the_existing_pair(store: PairStore) -> None:
    first, _ = store.add("Docker push denied", "Log in to the registry", "alice")
    with pytest.raises(DuplicatePair) as duplicate:
        store.add("docker   PUSH denied", "log in to the registry", "bob")
    assert duplicate.value.existing_id == first
    assert store.stats()["total"] == 1


def test_keyset_pagination_status_filter_and_stats(store: PairStore) -> None:
    ids = [store.add(issue, resolution, "alice")[0] for issue, resolution in PAIRS]
    assert [p["id"] for p in store.list(limit=2)] == ids[:2]
    assert [p["id"] for p in store.list(since_id=ids[1], limit=10)] == ids[2:]
    assert store.update_pair(ids[0], "root", status="pending")
    held = store.list(status="pending")
    assert [p["id"] for p in held] == [ids[0]] and held[0]["reviewed_by"] == "root" and held[0]["reviewed_at"]
    assert not store.update_pair(ids[-1] + 1000, "root", status="pending")
    assert store.stats() == {
        "total": 5,
        "by_status": {"approved": 4, "pending": 1, "rejected": 0},
        "newest_id": ids[-1],
        "from_feedback": 0,
        "flagged": 0,
    }
    assert [p["id"] for p in store.pairs_with_status("approved")] == ids[1:]
    assert store.delete(ids[1]) and not store.delete(ids[1])
    assert store.stats()["total"] == 4 and store.integrity_ok()


def test_concurrent_writers_get_distinct_ids_and_lose_nothing(store: PairStore) -> None:
    def write(thread: int) -> list[int]:
        return [
            store.add(f"Job {thread}-{n} failed: cache miss", f"Clear cache {thread}-{n}", "t")[0] for n in range(50)
        ]

    with ThreadPoolExecutor(16) as pool:
        ids = [pair_id for batch in pool.map(write, range(16)) for pair_id in batch]
    assert len(ids) == len(set(ids)) == 800 == store.stats()["total"]


def test_pairs_files_import_once_and_export_in_the_issues_resolutions_format(store: PairStore, tmp_path: Path) -> None:
    seed = tmp_path / "issues_resolutions.json"
    seed.write_text(
        '[{"issue": "Build failed due to missing dependency", "resolution": "Add package X to requirements.txt"},'
        ' {"issue": "x", "resolution": "too short"}, "not an object"]'
    )
    report = import_pairs_file(store, seed, 5, 200)
    assert (report.added, len(report.rejected)) == (1, 2)
    assert import_pairs_file(store, seed, 5, 200).skipped_already_imported
    out = tmp_path / "export.json"
    assert export_pairs_file(store, out) == 1
    assert out.read_text().startswith('[\n  {\n    "issue": "Build failed due to missing dependency"')


def test_a_new_store_is_at_the_latest_schema_and_reopening_changes_nothing(
    store: PairStore, database_url: str, tmp_path: Path
) -> None:
    store.add("Docker push denied", "Log in to the registry", "alice")
    assert store.schema_version() == LATEST
    again = open_store(database_url, tmp_path / "data")
    try:
        assert again.schema_version() == LATEST and again.stats()["total"] == 1
    finally:
        again.close()


def test_a_pair_keeps_its_log_excerpt(store: PairStore) -> None:
    pair_id, _ = store.add("Docker push denied", "Log in to the registry", "alice", log_excerpt="denied: requested")
    assert store.get(pair_id)["log_excerpt"] == "denied: requested"
    plain, _ = store.add("Docker pull slow", "Use the mirror", "alice")
    assert store.get(plain)["log_excerpt"] is None


def test_pairs_files_carry_a_pairs_log_excerpt_both_ways(store: PairStore, tmp_path: Path) -> None:
    seed = tmp_path / "issues_resolutions.json"
    excerpt = "\x1b[31mnpm ERR! code ERESOLVE\x1b[0m\nnpm ERR! ERESOLVE unable to resolve dependency tree"
    pair = {"issue": "npm ci fails with ERESOLVE in CI", "resolution": "Pin react-dom to the react major"}
    seed.write_text(json.dumps([{**pair, "log_excerpt": excerpt}, {**pair, "issue": "yarn install fails too"}]))
    assert import_pairs_file(store, seed, 5, 200).added == 2
    exported = tmp_path / "out.json"
    assert export_pairs_file(store, exported) == 2
    rows = json.loads(exported.read_text())
    assert rows[0]["log_excerpt"].startswith("npm ERR! code ERESOLVE") and "log_excerpt" not in rows[1]
    assert [p.get("log_excerpt") is not None for p in store.pairs_with_status("approved")] == [True, False]
