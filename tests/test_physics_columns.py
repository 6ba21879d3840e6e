"""Physics once, at build time: the sidecar's M/Q codes give the per-request histograms exactly.

The built store (tests/builtstore.py, the real pipeline) is compared with a copy whose sidecar
has no M/Q codes (a sidecar of an older build: M/Q is then converted per request on the same
scan blocks) and with the store path (no sidecar at all), on every kind of grid the app
offers: AWA's log grids (coarse to 500 x 500), the team's exact grids, weighted or not, and
narrow ranges that cut through the data.  Linear axes draw the same log bins.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import tables

from awa import query
from awa.chem import physics, sidecar
from awa.chem import schema as chem_schema
from awa.model import Selection, ViewOptions, parse_params
from awa.pha_grid import mmq_bins
from awa.query import physics_bins
from tests.builtstore import SimulatedStores

#: (M/Q range, mass range, M/Q bin, mass bin, team grid) as the view offers them.
GRIDS = [
    ((0.5, 60.0), (0.5, 60.0), 0.02, 0.02, "awa"),  # the default view
    ((0.5, 100.0), (0.5, 100.0), 0.01, 0.01, "team"),  # the team's default
    ((0.5, 100.0), (0.5, 100.0), 0.0046, 0.0046, "awa"),  # about 500 x 500 bins
    ((0.5, 100.0), (0.5, 100.0), 0.0046, 0.0046, "team"),
    ((0.01, 1000.0), (0.01, 1000.0), 0.05, 0.1, "awa"),  # the widest ranges the URL allows
    ((1.5, 2.5), (3.0, 5.0), 0.001, 0.001, "awa"),  # narrow, fine: edges inside the He peak
    ((0.9, 17.3), (0.7, 19.0), 0.037, 0.013, "team"),
]
SELECTIONS = {
    "default": {"t": "1986-039"},
    "no rejections": {"t": "1986-039-0300:1986-039-2100", "r1019": "0", "r3": "0", "rssd": "0"},
    "filters": {"t": "1986-039", "L": "3,8", "ssd": "0,1,2"},
}


@pytest.fixture(scope="module")
def old_sidecar(sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built store whose sidecar lacks the M/Q codes (an older build)."""
    folder = tmp_path_factory.mktemp("old_sidecar") / "stores"
    shutil.copytree(sim_store.folder, folder)
    with tables.open_file(str(folder / chem_schema.COLUMNS_FILE), mode="a") as h5:
        h5.remove_node("/pha/events/mpq_code")
        h5.del_node_attr("/", "mpq_code_version")
    return folder


def _selection(name: str) -> Selection:
    return parse_params(SELECTIONS[name])[0].selection


def _hist(folder: Path, sel: Selection, grid: tuple, norm: bool) -> query.Hist2D:
    x_range, y_range, bx, by, kind = grid
    view = ViewOptions(mmq_binx=bx, mmq_biny=by, mmq_x=x_range, mmq_y=y_range, grid=kind)
    bx, by, exact = mmq_bins(view)
    return query.mmq_histogram(
        query.store_key(folder), sel, bx, by, x_range, y_range, norm, exact_range=exact
    )


def test_the_build_stores_mpq_codes(sim_store: SimulatedStores, old_sidecar: Path) -> None:
    side = query.get_sidecar(sim_store.folder)
    assert side is not None
    assert side.has_mpq_code
    old = query.get_sidecar(old_sidecar)
    assert old is not None  # an older sidecar is still used
    assert not old.has_mpq_code
    pha = sim_store.pha
    codes = side.node("/pha/events/mpq_code")[:]
    assert len(codes) == len(pha) > 0
    mpq = physics.convert_events(pha["Energy"], pha["TOF"], pha["Voltage_Step"],
                                 pha["PAPS_lvl"])["mpq"]  # fmt: skip
    np.testing.assert_array_equal(codes, sidecar.mpq_code(mpq))
    low, high = sidecar.mpq_code_bounds()
    finite = np.isfinite(mpq)
    assert np.all(codes[~finite] == 0)
    assert np.all((low[codes[finite]] <= mpq[finite]) & (mpq[finite] <= high[codes[finite]]))


def test_code_intervals_hold_their_values() -> None:
    rng = np.random.default_rng(5)
    v = np.concatenate([
        10 ** rng.uniform(-3.0, 4.0, 200_000), [0.0, 0.01, 1000.0, 1e-300, np.inf, 5.5],
        10 ** (sidecar.MPQ_LOG_MIN + np.arange(1, 2000) * (5.0 / (sidecar.MPQ_CODES - 3))),
    ])  # fmt: skip
    codes = sidecar.mpq_code(v)
    low, high = sidecar.mpq_code_bounds()
    assert np.all((low[codes] <= v) & (v <= high[codes]))
    assert sidecar.mpq_code(np.array([np.nan]))[0] == 0
    # codes split the decades finely: about 0.018 % of M/Q each
    assert np.nanmax(high[2:-1] / low[2:-1]) < 1.0 + 2e-4


@pytest.mark.parametrize("grid", GRIDS, ids=[f"{g[4]}-{g[2]}" for g in GRIDS])
@pytest.mark.parametrize("name", SELECTIONS)
def test_stored_codes_give_the_per_request_histogram(
    sim_store: SimulatedStores,
    old_sidecar: Path,
    sim_store_no_sidecar: SimulatedStores,
    grid: tuple,
    name: str,
) -> None:
    sel = _selection(name)
    for norm in (False, True):
        fast = _hist(sim_store.folder, sel, grid, norm)
        slow = _hist(old_sidecar, sel, grid, norm)
        assert fast.n_selected > 0
        np.testing.assert_array_equal(fast.counts, slow.counts)
        np.testing.assert_array_equal(fast.x_edges, slow.x_edges)
        np.testing.assert_array_equal(fast.y_edges, slow.y_edges)
        assert (fast.n_selected, fast.n_shown, fast.weighted) == (
            slow.n_selected, slow.n_shown, slow.weighted
        )  # fmt: skip
        store = _hist(sim_store_no_sidecar.folder, sel, grid, norm)
        if norm:  # the store path sums the weights in other chunks
            np.testing.assert_allclose(fast.counts, store.counts, rtol=1e-12, atol=0)
        else:
            np.testing.assert_array_equal(fast.counts, store.counts)
        assert fast.n_shown == store.n_shown


def test_fine_grids_convert_the_straddling_events(
    sim_store: SimulatedStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact path is taken (and needed): without it the fine grid's counts differ."""
    grid = GRIDS[5]
    sel = _selection("default")
    calls: list[int] = []
    real = physics_bins.exact_bins

    def counting(*args: object) -> np.ndarray:
        calls.append(len(args[0]))  # type: ignore[arg-type]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(physics_bins, "exact_bins", counting)
    exact = _hist(sim_store.folder, sel, grid, False)
    assert sum(calls) > 0
    n_events = query.get_sidecar(sim_store.folder).n_events  # type: ignore[union-attr]
    assert sum(calls) < 0.05 * n_events  # few events need the conversion
    # without the exact conversion the tables alone would miss those events
    monkeypatch.setattr(physics_bins, "exact_bins", lambda *a: np.full(len(a[0]), -1))
    rough = _hist(sim_store.folder, sel, grid, False)
    assert rough.n_shown < exact.n_shown


def test_the_scan_threads_setting_reaches_blosc() -> None:
    import tables

    from awa.app import build_app
    from awa.settings import Settings, SettingsError

    assert Settings.from_env({"AWA_SCAN_THREADS": "2"}).scan_threads == 2
    assert Settings().scan_threads == 1
    with pytest.raises(SettingsError, match="scan_threads"):
        Settings(scan_threads=0)
    build_app(Settings(scan_threads=2, cache_type="null"))
    assert tables.set_blosc_max_threads(1) == 2  # returns the number in force
