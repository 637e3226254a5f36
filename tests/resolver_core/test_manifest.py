"""The typed manifest: one writer, one reader, old files read with their defaults, newer ones refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver_core import registry
from resolver_core.manifest import DEFAULT_THRESHOLD, SCHEMA_VERSION, BaseFingerprint, Manifest

VERSION = "20261203T100000Z"
BASE = BaseFingerprint(id="tiny", sha256="b" * 64, files={"config.json": "c" * 64})


def staged(tmp_path: Path) -> Path:
    folder = tmp_path / VERSION
    folder.mkdir()
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    return folder


def test_the_writer_records_the_schema_version_and_every_file(tmp_path: Path) -> None:
    folder = staged(tmp_path)
    written = registry.write_manifest(folder, Manifest(version=VERSION, base_model=BASE))
    raw = json.loads((folder / registry.MANIFEST_NAME).read_text())
    assert raw["schema_version"] == SCHEMA_VERSION == written.schema_version
    assert set(raw["files"]) == {"adapter_model.safetensors"}
    assert registry.read_manifest(folder) == written
    assert registry.verify_checksums(folder) == []


def test_a_manifest_from_before_the_schema_reads_with_defaults(tmp_path: Path) -> None:
    """Versions trained before grounding and before schema_version existed still serve, as they were scored."""
    folder = staged(tmp_path)
    metrics = {"eval": {"token_f1": 0.4}, "base": {"token_f1": 0.1}, "change_vs_base": {"token_f1": 0.3}}
    dataset = {"total": 2, "pair_ids": [4, 9]}
    old = {"version": VERSION, "base_model": BASE.model_dump(), "dataset": dataset, "metrics": metrics}
    (folder / registry.MANIFEST_NAME).write_text(json.dumps(old))
    manifest = registry.read_manifest(folder)
    assert manifest.schema_version == 1 and manifest.dataset.pair_ids == [4, 9]
    assert manifest.grounding.retrieval == "tfidf" and manifest.grounding.known_fix_threshold == DEFAULT_THRESHOLD
    assert manifest.grounding.answer_policy == manifest.grounding.far_policy == "model"
    assert manifest.grounding.closeness == "top" and manifest.grounding.min_false_on_unknown is None
    assert manifest.metrics.reworded is None and manifest.metrics.before("base") == {"token_f1": 0.1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps({"version": VERSION, "schema_version": SCHEMA_VERSION + 1}), "newer than this code reads"),
        (json.dumps({"base_model": BASE.model_dump()}), "version: Field required"),
        (json.dumps({"version": VERSION, "dataset": {"total": "many"}}), "dataset.total"),
        ("{not json", "not a valid manifest"),
    ],
)
def test_an_unreadable_or_newer_manifest_is_refused_naming_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    folder = staged(tmp_path)
    (folder / registry.MANIFEST_NAME).write_text(content)
    with pytest.raises(registry.RegistryError, match=message):
        registry.read_manifest(folder)
    assert registry.verify_checksums(folder)[0].startswith(f"{registry.MANIFEST_NAME}: unreadable")
