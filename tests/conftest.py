"""Shared fixtures: a store folder built by the real pipeline (``tests.builtstore``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from awa import query
from awa.settings import Settings
from tests.builtstore import SimulatedStores, build_folder, without_sidecar

# `make test` runs the same examples every time (a red build always reproduces); run
# `pytest --hypothesis-profile=explore` to let hypothesis search new examples.
hypothesis_settings.register_profile("default", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile("default")

#: Real index files of the project (absent outside the workplace).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _close_store_handles() -> Iterator[None]:
    """Close the PyTables handles the tests opened in this process."""
    yield
    query.close_all()


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """One simulated day (1986-02-08) through ``awa-build``'s pipeline, built once per session.

    The folder has the five stores with their hour index, the column sidecar and the
    coverage file, as a production build.
    """
    return build_folder(tmp_path_factory.mktemp("built"))


@pytest.fixture(scope="session")
def sim_store_no_sidecar(
    sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory
) -> SimulatedStores:
    """The same stores without the column sidecar: queries fall back to the stores."""
    return without_sidecar(sim_store, tmp_path_factory.mktemp("no_sidecar") / "stores")


@pytest.fixture(params=["sidecar", "no-sidecar"])
def any_store(
    request: pytest.FixtureRequest,
    sim_store: SimulatedStores,
    sim_store_no_sidecar: SimulatedStores,
) -> SimulatedStores:
    """The built store with its column sidecar, then without (both query paths)."""
    return sim_store if request.param == "sidecar" else sim_store_no_sidecar


@pytest.fixture
def store_settings(sim_store: SimulatedStores, tmp_path: Path) -> Settings:
    """Settings pointing at the simulated store, without a result cache."""
    return Settings(data_dir=sim_store.folder, cache_type="null", background_dir=tmp_path / "jobs")


@pytest.fixture
def fallback_settings(sim_store_no_sidecar: SimulatedStores, tmp_path: Path) -> Settings:
    """Settings pointing at the store without its sidecar: every scan goes through the stores.

    For tests that count the store scans (``query.iter_events``) of uncached queries.
    """
    return Settings(
        data_dir=sim_store_no_sidecar.folder, cache_type="null", background_dir=tmp_path / "jobs"
    )


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
