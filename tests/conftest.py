"""Shared fixtures. Servers run for real as subprocesses on loopback; the store is real SQLite."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from resolver_core.settings import DEFAULT_BASE_MODEL_PATH
from tests.servers import REPO_ROOT

# Before torch loads: spinning OpenMP threads collapse throughput when tests share the 2 cores (docs/architecture.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Every version trained in the tests (in process or by a subprocess, which inherits this) is scored on the 14 made
# logs of tests/log_excerpts.json, not the shipped 100: seconds instead of most of a minute per training run.
os.environ.setdefault("TRAIN_EVAL_LOGS", str(Path(__file__).parent / "log_excerpts.json"))
# Writing and scoring a GGUF adds about half a minute to a training run: only the shared version (trained_registry)
# gets one, where llama.cpp is installed (tests/llamacpp.py says when it is not).
os.environ.setdefault("TRAIN_GGUF", "off")


# The `slow` tier: a test that trains, serves a version, decodes with the real engine or drives a browser (directly or
# through one of these fixtures). `make test-fast` runs the rest; `make test` runs everything.
SLOW_FIXTURES = frozenset(
    {
        "trained_registry",
        "incremental",
        "team_version",
        "vm2",
        "server",
        "served",
        "avx2_fp32_server",
        "verbatim_server",
        "short_verbatim_server",
        "keyed_server",
        "strict_server",
        "corrupted_version",
        "team_server",
        "browser",
        "base_image",
    }
)
SLOW_MODULES = frozenset(
    {  # train or decode inline
        "test_grounded",
        "test_resume",
        "test_distributed",
        "test_loop_end_to_end",
        "test_batching",
        "test_cpu_paths",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if SLOW_FIXTURES.intersection(item.fixturenames) or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the session; tests create their own database in it."""
    from tests.postgres import start_postgres

    running = start_postgres()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base_model_path() -> Path:
    """The embedded base model, prepared by `make base-model` (make test runs it first)."""
    path = REPO_ROOT / DEFAULT_BASE_MODEL_PATH
    if not (path / "config.json").is_file():
        from resolver_core.base_model import prepare_embedded_base

        prepare_embedded_base(path)
    return path


def new_key() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class TrainedRegistry:
    """A registry holding one small trained version (session-scoped: treat every path as read-only)."""

    models_dir: Path
    data_dir: Path
    base_model_path: Path
    version: str
    pairs: list[dict]  # every approved pair: {"id", "issue", "resolution"}
    trained_pairs: list[dict]  # the ones the version was trained on: greedy answers reproduce these
    held_out_pairs: list[dict]  # never trained (the manifest's eval split)


# The shared fixture trains with the default recipe (TRAIN_* defaults): greedy answers reproduce every trained
# resolution. Tests may override settings here; keep it empty so they exercise what `make train` does.
FIXTURE_PAIRS = 24
FIXTURE_RECIPE: dict[str, object] = {}
# Reworded questions about tests/training_pairs.py (known and never-submitted ones): scored after every run, quick.
REWORDED_QUESTIONS = Path(__file__).parent / "reworded_questions.json"
# 6 of the fixture's failures as their tools print them, and 8 others, each with its public source.
LOG_EXCERPTS = Path(__file__).parent / "log_excerpts.json"


@pytest.fixture(scope="session")
def trained_registry(tmp_path_factory: pytest.TempPathFactory, base_model_path: Path) -> TrainedRegistry:
    """One version trained by the real trainer on 24 CI/CD pairs (about a minute on 2 cores)."""
    from resolver_core.registry import read_manifest
    from resolver_core.settings import TrainerSettings
    from resolver_core.store import SqlitePairStore
    from tests.llamacpp import llamacpp_installed
    from tests.training_pairs import PAIRS
    from trainer.training import train_version

    root = tmp_path_factory.mktemp("trained-registry")
    store = SqlitePairStore.in_data_dir(root / "data")
    for issue, resolution in PAIRS[:FIXTURE_PAIRS]:
        store.add(issue, resolution, submitted_by="fixture")
    settings = TrainerSettings(
        _env_file=None,
        data_dir=root / "data",
        models_dir=root / "models",
        train_work_dir=root / "trainer-work",
        base_model_path=base_model_path,
        train_eval_questions=REWORDED_QUESTIONS,
        train_eval_logs=LOG_EXCERPTS,
        train_gguf="q8_0" if llamacpp_installed() else "off",
        **FIXTURE_RECIPE,
    )
    version = train_version(settings, show_progress=False)
    assert version, "the fixture's training run wrote no version"
    pairs = store.pairs_with_status("approved")
    held_out = set(read_manifest(root / "models" / version).dataset.eval_pair_ids)
    return TrainedRegistry(
        models_dir=root / "models",
        data_dir=root / "data",
        base_model_path=base_model_path,
        version=version,
        pairs=pairs,
        trained_pairs=[p for p in pairs if p["id"] not in held_out],
        held_out_pairs=[p for p in pairs if p["id"] in held_out],
    )


from tests.vm2 import server, vm2  # noqa: E402,F401 — VM2 and its server, shared by every test folder
