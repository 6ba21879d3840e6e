"""The column sidecar: equal to the stores, and fast paths equal to brute force, exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables

from awa import query
from awa.chem import physics, schema, sidecar
from awa.model import Selection, SweepLimit, parse_time_ranges
from awa.query import scan
from tests.builtstore import SimulatedStores
from tests.test_query import DAY, SELECTIONS, brute_force


@pytest.fixture(scope="module")
def fast_store(
    sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory
) -> SimulatedStores:
    """The built day, its column sidecar rewritten with small chunks (and segments, below)."""
    folder = tmp_path_factory.mktemp("fast") / "stores"
    shutil.copytree(sim_store.folder, folder)
    (folder / schema.COLUMNS_FILE).unlink()
    sidecar.write_columns(
        folder / schema.PHA_STORE.filename,
        folder / schema.RATES_STORE.filename,
        folder / schema.COLUMNS_FILE,
        chunk_rows=7_001,
    )
    return SimulatedStores(folder)


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many segments and spans per query, so that their edges are exercised."""
    monkeypatch.setattr(scan, "SEGMENT_RUNS", 777)


def _read_all(path: Path, node: str) -> np.ndarray:
    with tables.open_file(str(path)) as h5:
        return np.asarray(h5.get_node(node).read())


def test_sidecar_equals_the_stores(fast_store: SimulatedStores) -> None:
    path = fast_store.folder / schema.COLUMNS_FILE
    pha = fast_store.pha
    for c in schema.SIDECAR_EVENT_COLUMNS:
        got = _read_all(path, f"/pha/events/{c}")
        np.testing.assert_array_equal(got, pha[c].to_numpy())
        assert got.dtype == pha[c].dtype
    start = _read_all(path, "/pha/runs/start")
    lengths = np.diff(np.append(start, len(pha)))
    assert start[0] == 0
    assert np.all(lengths > 0)
    for c in schema.SIDECAR_RUN_COLUMNS:
        runs = _read_all(path, f"/pha/runs/{c}")
        expanded = np.repeat(runs, lengths)
        want = pha[c].to_numpy()
        if c == "SpinStartTime":
            np.testing.assert_array_equal(expanded.view(np.int64), want.view(np.int64))
        else:
            np.testing.assert_array_equal(expanded, want)  # NaN equal to NaN
    # Runs are maximal: neighbouring runs differ in at least one spin-level column.
    t = _read_all(path, "/pha/runs/SpinStartTime").view(np.int64)
    assert len(start) == len(np.unique(t)) or np.any(t[1:] == t[:-1])
    for c in schema.SIDECAR_RATES_COLUMNS:
        got = _read_all(path, f"/rates/{c}")
        want = fast_store.rates[c].to_numpy()
        if c == "SpinStartTime":
            np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
        else:
            np.testing.assert_array_equal(got, want)


def test_sidecar_is_used_only_when_it_matches(fast_store: SimulatedStores, tmp_path: Path) -> None:
    assert query.get_sidecar(fast_store.folder) is not None
    copy = tmp_path / "copy"
    shutil.copytree(fast_store.folder, copy)
    # A sidecar made from other stores (fewer PHA rows) is ignored.  storefactory: a store
    # that no longer matches its sidecar, which a build never leaves behind.
    from tests.storefactory import write_store

    write_store(copy, schema.PHA_STORE, fast_store.pha.iloc[:-5])
    assert query.get_sidecar(copy) is None
    sel = Selection(times=DAY)
    hist = query.et_histogram(query.store_key(copy), sel, 16)
    expected = brute_force(SimulatedStores(copy), sel)  # read back: the truncated store
    assert hist.n_selected == len(expected) > 0


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_fast_et_histogram_equals_brute_force(fast_store: SimulatedStores, name: str) -> None:
    sel = SELECTIONS[name]
    key = query.store_key(fast_store.folder)
    assert query.get_sidecar(fast_store.folder) is not None
    expected = brute_force(fast_store, sel)
    hist = query.et_histogram(key, sel, 16)
    ref, _, _ = np.histogram2d(
        expected["Energy"], expected["TOF"], bins=(hist.y_edges, hist.x_edges)
    )
    np.testing.assert_array_equal(hist.counts, ref)
    assert hist.n_selected == len(expected) > 0


@pytest.mark.parametrize(
    ("bin_width", "x_range", "y_range"),
    [(1, (0, 1023), (0, 1023)), (8, (3.5, 700.2), (10, 500)), (32, (100, 255), (0, 64))],
)
def test_fast_et_axis_ranges_equal_brute_force(
    fast_store: SimulatedStores,
    bin_width: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> None:
    sel = Selection(times=DAY, triples_only=True)
    expected = brute_force(fast_store, sel)
    hist = query.et_histogram(query.store_key(fast_store.folder), sel, bin_width, x_range, y_range)
    xe, ye = hist.x_edges, hist.y_edges
    e, t = expected["Energy"].to_numpy(), expected["TOF"].to_numpy()
    inside = (t >= xe[0]) & (t < xe[-1]) & (e >= ye[0]) & (e < ye[-1])
    ref, _, _ = np.histogram2d(e[inside], t[inside], bins=(ye, xe))
    np.testing.assert_array_equal(hist.counts, ref)
    assert hist.n_shown == int(inside.sum()) <= hist.n_selected == len(expected)
    assert hist.n_shown < hist.n_selected or x_range == (0, 1023)


@pytest.mark.parametrize("normalise", [False, True])
@pytest.mark.parametrize("name", ["default", "relations", "sweep", "mlt-wrap", "dst-kp"])
def test_fast_mmq_histogram_equals_brute_force(
    fast_store: SimulatedStores, name: str, normalise: bool
) -> None:
    sel = SELECTIONS[name]
    expected = brute_force(fast_store, sel)
    phys = physics.convert_events(
        expected["Energy"], expected["TOF"], expected["Voltage_Step"], expected["PAPS_lvl"]
    )
    xe = query.log_edges(0.5, 60.0, 0.05)
    ye = query.log_edges(0.5, 60.0, 0.1)
    m, q = phys["mass"], phys["mpq"]
    good = np.isfinite(m) & np.isfinite(q) & (m >= ye[0]) & (m < ye[-1])
    good &= (q >= xe[0]) & (q < xe[-1])
    rng = expected["Range"].to_numpy()
    br = np.choose(rng, [expected[f"BR{n}"].to_numpy() for n in range(3)]).astype(float)
    r = np.choose(rng, [expected[f"R{n}"].to_numpy() for n in range(3)]).astype(float)
    weights = np.where(r > 0, br / np.where(r > 0, r, 1), 0.0)
    hist = query.mmq_histogram(
        query.store_key(fast_store.folder), sel, 0.05, 0.1, (0.5, 60.0), (0.5, 60.0), normalise
    )
    ref, _, _ = np.histogram2d(
        m[good], q[good], bins=(ye, xe), weights=weights[good] if normalise else None
    )
    if normalise:
        np.testing.assert_allclose(hist.counts, ref, rtol=1e-12)
    else:
        np.testing.assert_array_equal(hist.counts, ref)
    assert hist.n_selected == len(expected) > 0
    assert hist.n_shown == int(good.sum())


def test_fast_path_skips_the_row_limit_and_reads_only_selected_spins(
    fast_store: SimulatedStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = query.store_key(fast_store.folder)
    sel = Selection(times=DAY, l_range=(3.0, 3.5), kp_range=(0.0, 9.0))
    read_rows = []
    real = sidecar.Sidecar.read

    def counting(self: sidecar.Sidecar, group: str, names: list[str], lo: int, hi: int) -> dict:
        if group == "pha/events":
            read_rows.append(hi - lo)
        return real(self, group, names, lo, hi)

    monkeypatch.setattr(scan, "CHUNK", 256)
    monkeypatch.setattr(sidecar.Sidecar, "read", counting)
    hist = query.et_histogram(key, sel, 16, max_rows=10)  # streams: no refusal
    assert hist.n_selected == len(brute_force(fast_store, sel)) > 0
    assert 0 < sum(read_rows) < len(fast_store.pha) // 2


def test_fast_timeline_equals_the_store(fast_store: SimulatedStores) -> None:
    key = query.store_key(fast_store.folder)
    short = parse_time_ranges("1986-039-0100:0110;1986-039-0300:0302")
    data = query.timeline(key, short, ("DCR", "R/BR", "FSR"), points=100_000)
    rates = fast_store.rates
    t = rates["SpinStartTime"]
    inside = t.between("1986-02-08 01:00", "1986-02-08 01:09:59") | t.between(
        "1986-02-08 03:00", "1986-02-08 03:01:59"
    )
    dcr = data["DCR"][0]
    finite = np.isfinite(dcr.values)
    np.testing.assert_array_equal(dcr.values[finite], rates.loc[inside, "DCR"].to_numpy())
    assert int((~finite).sum()) == 1  # the break between the ranges


def test_decimated_timeline_keeps_every_bucket_min_and_max(fast_store: SimulatedStores) -> None:
    key = query.store_key(fast_store.folder)
    points = 300
    series = query.timeline(key, DAY, ("FSR",), points=points)["FSR"][0]
    rates = fast_store.rates
    t = rates["SpinStartTime"]
    day = rates[(t >= pd.Timestamp("1986-02-08")) & (t < pd.Timestamp("1986-02-09"))]
    values = day["FSR"].to_numpy().astype(float)
    times = day["SpinStartTime"].to_numpy().view(np.int64)
    edges = np.linspace(0, len(values), points // 2 + 1).astype(np.int64)
    assert len(series.values) <= points
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        inside = (series.t_ns >= times[a]) & (series.t_ns <= times[b - 1])
        assert series.values[inside].max() == values[a:b].max()
        assert series.values[inside].min() == values[a:b].min()


def test_sweep_filter_near_segment_edges(fast_store: SimulatedStores) -> None:
    # The built day's DCR at step 20 is 0-28 and BR1 0-7 counts/spin: both limits bite.
    sel = Selection(times=parse_time_ranges("1986-039-0130:2230"),
                    sweep=SweepLimit("DCR", 15.0, 20), max_br1=3.0)  # fmt: skip
    expected = brute_force(fast_store, sel)
    hist = query.et_histogram(query.store_key(fast_store.folder), sel, 4)
    assert hist.n_selected == len(expected) > 0
    ref, _, _ = np.histogram2d(
        expected["Energy"], expected["TOF"], bins=(hist.y_edges, hist.x_edges)
    )
    np.testing.assert_array_equal(hist.counts, ref)


def test_empty_stores_give_an_empty_sidecar(tmp_path: Path) -> None:
    from data_build.stores.writer import _write_empty

    for spec in (schema.PHA_STORE, schema.RATES_STORE):
        _write_empty(tmp_path / spec.filename, spec)
    rows = sidecar.write_columns(
        tmp_path / schema.PHA_STORE.filename,
        tmp_path / schema.RATES_STORE.filename,
        tmp_path / schema.COLUMNS_FILE,
    )
    assert rows == {"events": 0, "runs": 0, "rates": 0}


def test_every_build_writes_a_matching_sidecar(tmp_path: Path) -> None:
    from data_build import stores
    from tests.test_stores import _day_file

    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    files = [
        _day_file(fits_dir, "1986_040.fits.gz", "1986-02-09T00:00:30", swap=True, lfill=True),
        _day_file(fits_dir, "1986_041.fits.gz", "1986-02-09T00:05:00", seed=2),
    ]
    out = tmp_path / "stores"
    stores.build_stores(files, out, workers=1, progress=None)
    assert not list(out.glob(".building-*"))
    side = query.get_sidecar(out)
    assert side is not None
    pha = pd.read_hdf(out / schema.PHA_STORE.filename, schema.PHA_STORE.key)
    assert isinstance(pha, pd.DataFrame)
    pha = pha.reset_index()  # the 10 index levels as columns
    for c in schema.SIDECAR_EVENT_COLUMNS:
        np.testing.assert_array_equal(
            _read_all(out / schema.COLUMNS_FILE, f"/pha/events/{c}"), pha[c].to_numpy()
        )
    sel = Selection(times=parse_time_ranges("1986-040:1986-042"), l_range=None)
    hist = query.et_histogram(query.store_key(out), sel, 8)
    keep = (pha["TOF"] != 1019) & (pha["Range"] != 3) & (pha["SSDID"] < 4)
    keep &= pha["DPU_Mode"].isin([0, 2]) & (pha["TAC_Slope"] == 0) & (pha["PHA_Priority"] == 78)
    ref, _, _ = np.histogram2d(
        pha.loc[keep, "Energy"], pha.loc[keep, "TOF"], bins=(hist.y_edges, hist.x_edges)
    )
    np.testing.assert_array_equal(hist.counts, ref)
    assert hist.n_selected == int(keep.sum()) > 0
