"""Both store backends for real: SQLite in a temp folder, PostgreSQL on a throwaway server (one database a test)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver_core.store import PairStore, open_store

BACKENDS = ["sqlite", "postgresql"]
_databases = itertools.count()


@pytest.fixture
def database_url(request, tmp_path: Path) -> str:
    """A fresh, empty store URL of the backend the test is parametrized with ("" = SQLite in tmp_path)."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres").create_database(f"test_{next(_databases)}")


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[PairStore]:
    opened = open_store(database_url, tmp_path / "data")
    yield opened
    opened.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True)
