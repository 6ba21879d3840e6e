"""Shared fixtures: a small simulated store folder (the layout of ``awa.chem.schema``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from awa import query
from awa.settings import Settings
from tests.storefactory import SimulatedStores, make_stores

#: Real index files of the project (absent outside the workplace).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _close_store_handles() -> Iterator[None]:
    """Close the PyTables handles the tests opened in this process."""
    yield
    query.close_all()


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """One simulated day (1986-02-08) of all five stores, built once per session."""
    folder = tmp_path_factory.mktemp("stores")
    stores = make_stores(folder, start="1986-02-08", days=1.0, events_per_spin=4.0, seed=1)
    return stores


@pytest.fixture
def store_settings(sim_store: SimulatedStores, tmp_path: Path) -> Settings:
    """Settings pointing at the simulated store, without a result cache."""
    return Settings(data_dir=sim_store.folder, cache_type="null", background_dir=tmp_path / "jobs")


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty folder (every store missing)."""
    return Settings(
        data_dir=tmp_path / "nothing", cache_type="null", background_dir=tmp_path / "jobs"
    )


@pytest.fixture(autouse=True)
def _temporary_files_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default per-user folders (background jobs, filesystem cache) go under the test's tmp_path."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
