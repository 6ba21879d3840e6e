"""The query layer against a brute-force pandas computation on a small simulated store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import query
from awa.chem import physics, schema
from awa.model import Selection, SweepLimit, TimeRange, parse_time_ranges
from tests.builtstore import SimulatedStores

DAY = parse_time_ranges("1986-039")  # 1986-02-08, the simulated day


def brute_force(stores: SimulatedStores, sel: Selection) -> pd.DataFrame:
    """Selected events by plain pandas: row filters, then a merge with the rates per spin."""
    pha = stores.pha
    t = pha["SpinStartTime"]
    keep = pd.Series(False, index=pha.index)
    for r in sel.times:
        keep |= (t >= pd.Timestamp(r.start)) & (t < pd.Timestamp(r.end))
    if sel.l_range:
        keep &= pha["L"].between(*sel.l_range)
    if sel.vstep_range:
        keep &= pha["Voltage_Step"].between(*sel.vstep_range)
    if sel.mlt_range:
        lo, hi = sel.mlt_range
        m = pha["MLTH"]
        keep &= m.between(lo, hi) if lo <= hi else (m >= lo) | (m <= hi)
    for col, allowed in (
        ("SSDID", sel.ssd_ids), ("Range", sel.pha_ranges), ("PAPS_lvl", sel.paps_levels),
        ("DPU_Mode", sel.dpu_modes), ("TAC_Slope", sel.tac_slopes),
        ("PHA_Priority", sel.pha_priorities),
    ):  # fmt: skip
        if allowed is not None:
            keep &= pha[col].isin(allowed)
    if sel.triples_only:
        keep &= pha["Energy"] > 0
    if sel.reject_tof1019:
        keep &= pha["TOF"] != 1019
    if sel.reject_range3:
        keep &= pha["Range"] != 3
    if sel.reject_ssd_high:
        keep &= pha["SSDID"] < 4
    events = pha[keep]
    rates = stores.rates.copy()
    rates["sweep"] = (rates["Period_Cntr"] == 0).cumsum()
    ok = pd.Series(True, index=rates.index)
    if sel.dst_range:
        ok &= rates["Dst"].between(*sel.dst_range)
    if sel.kp_range:
        ok &= rates["Kp"].between(*sel.kp_range)
    br = rates[["BR0", "BR1", "BR2"]].astype("int64")
    if sel.sum_br_le_dcr:
        ok &= br.sum(axis=1) <= rates["DCR"]
    if sel.br2_le_tcr:
        ok &= br["BR2"] <= rates["TCR"]
    if sel.rn_le_brn:
        for n in range(3):
            ok &= rates[f"R{n}"] <= br[f"BR{n}"]
    for n, limit in enumerate((sel.max_br0, sel.max_br1, sel.max_br2)):
        if limit is not None:
            ok &= br[f"BR{n}"] <= limit
    if sel.sweep:
        s = sel.sweep
        hot = rates.loc[(rates["Voltage_Step"] == s.step) & (rates[s.rate] > s.limit), "sweep"]
        ok &= ~rates["sweep"].isin(hot)
    joined = events.merge(
        rates[["SpinStartTime", "BR0", "BR1", "BR2", "R0", "R1", "R2"]].assign(spin_ok=ok),
        on="SpinStartTime", how="left", validate="many_to_one",
    )  # fmt: skip
    if sel.needs_rates:
        joined = joined[joined["spin_ok"].fillna(False).astype(bool)]
    return joined


#: AWA's standard analysis without the science team's default cuts (triples only, PAPS 0-6,
#: rate relations): the base against which each filter below must remove events.
OFF = {"triples_only": False, "paps_levels": None, "sum_br_le_dcr": False, "br2_le_tcr": False,
       "rn_le_brn": False}  # fmt: skip


def _only(**kw: Any) -> Selection:
    return Selection(times=DAY, **{**OFF, **kw})


SELECTIONS = {
    "default": Selection(times=DAY),
    "standard": _only(),
    "two-ranges": Selection(times=parse_time_ranges("1986-039-0100:0300;1986-039-1500:1730")),
    "no-filters": Selection(
        times=DAY,
        l_range=None,
        dpu_modes=None,
        tac_slopes=None,
        pha_priorities=None,
        reject_tof1019=False,
        reject_range3=False,
        reject_ssd_high=False,
    ),  # fmt: skip
    "mlt-wrap": _only(mlt_range=(20.0, 3.5), l_range=None),
    "mlt-plain": _only(mlt_range=(13.0, 20.0), vstep_range=(10.0, 40.0)),
    "dst-kp": _only(dst_range=(-200.0, -60.0), kp_range=(1.0, 9.0)),
    "relations": _only(sum_br_le_dcr=True, br2_le_tcr=True, rn_le_brn=True),
    "max-br": _only(max_br0=25.0, max_br2=4.0),
    # The built day's FSR at step 10 is 14-122 counts/spin: 80 marks a few sweeps as noisy.
    "sweep": _only(sweep=SweepLimit("FSR", 80.0, 10)),
    "sets": _only(ssd_ids=(1, 3), pha_ranges=(0, 2), paps_levels=(4, 5), triples_only=True),
}


@pytest.mark.parametrize("name", sorted(SELECTIONS))
@pytest.mark.parametrize("chunk", [1_000, 2_000_000])
def test_et_histogram_matches_brute_force(
    any_store: SimulatedStores, name: str, chunk: int
) -> None:
    sel = SELECTIONS[name]
    expected = brute_force(any_store, sel)
    key = query.store_key(any_store.folder)
    hist = query.et_histogram(key, sel, 16, chunk_rows=chunk)
    assert hist.n_selected == len(expected)
    assert len(expected) > 0
    ref, _, _ = np.histogram2d(
        expected["Energy"], expected["TOF"], bins=(hist.y_edges, hist.x_edges)
    )
    np.testing.assert_array_equal(hist.counts, ref)
    assert hist.n_shown == len(expected)  # full channel range: every event is inside


def test_filters_actually_remove_events(sim_store: SimulatedStores) -> None:
    base = len(brute_force(sim_store, SELECTIONS["standard"]))
    for name in ("relations", "max-br", "sweep", "dst-kp", "sets"):
        assert 0 < len(brute_force(sim_store, SELECTIONS[name])) < base, name


def test_axis_ranges_count_events_inside(any_store: SimulatedStores) -> None:
    sel = SELECTIONS["default"]
    expected = brute_force(any_store, sel)
    hist = query.et_histogram(query.store_key(any_store.folder), sel, 8, (0, 255), (0, 127))
    inside = (expected["TOF"] < 256) & (expected["Energy"] < 128)
    assert hist.n_selected == len(expected)
    assert hist.n_shown == int(inside.sum())
    assert hist.x_edges[0] == 0
    assert hist.x_edges[-1] == 256
    assert hist.counts.shape == (16, 32)


@pytest.mark.parametrize("normalise", [False, True])
def test_mmq_histogram_matches_brute_force(any_store: SimulatedStores, normalise: bool) -> None:
    sel = SELECTIONS["relations"]
    expected = brute_force(any_store, sel)
    phys = physics.convert_events(
        expected["Energy"], expected["TOF"], expected["Voltage_Step"], expected["PAPS_lvl"]
    )
    good = np.isfinite(phys["mpq"]) & (phys["mass"] > 0) & (phys["mpq"] > 0)
    rng = expected["Range"].to_numpy()
    br = np.choose(rng, [expected[f"BR{n}"].to_numpy() for n in range(3)]).astype(float)
    r = np.choose(rng, [expected[f"R{n}"].to_numpy() for n in range(3)]).astype(float)
    weights = np.where(r > 0, br / np.where(r > 0, r, 1), 0.0)
    hist = query.mmq_histogram(
        query.store_key(any_store.folder), sel, 0.05, 0.1, (0.5, 60.0), (0.5, 60.0), normalise,
        chunk_rows=3_000,
    )  # fmt: skip
    ref, _, _ = np.histogram2d(
        phys["mass"][good], phys["mpq"][good], bins=(hist.y_edges, hist.x_edges),
        weights=weights[good] if normalise else None,
    )  # fmt: skip
    np.testing.assert_allclose(hist.counts, ref)
    assert hist.n_selected == len(expected)
    assert 0 < hist.n_shown < hist.n_selected  # doubles have no mass
    assert hist.weighted is normalise
    assert np.allclose(np.diff(np.log10(hist.x_edges)), 0.05)


def test_select_events_respects_the_limit(any_store: SimulatedStores) -> None:
    key = query.store_key(any_store.folder)
    sel = Selection(times=parse_time_ranges("1986-039-0200:0230"))
    expected = brute_force(any_store, sel)
    sample = query.select_events(key, sel, limit=100_000)
    assert sample.complete
    assert sample.n_selected == len(expected)
    np.testing.assert_array_equal(sample.columns["TOF"], expected["TOF"].to_numpy())
    np.testing.assert_allclose(sample.columns["T_ns"], expected["TOF"].to_numpy() * 320.0 / 1023.0)
    small = query.select_events(key, sel, limit=10)
    assert not small.complete
    assert small.columns == {}
    assert small.n_selected == len(expected)


def test_row_ranges_bisect_like_pandas(any_store: SimulatedStores) -> None:
    table = query.get_table(any_store.folder, schema.PHA_STORE)
    times = any_store.pha["SpinStartTime"].to_numpy()
    for text in ("1986-039-0000:0001", "1986-039-123456:1300", "1986-038-2300:1986-039-0010",
                 "1986-040-0000:0100"):  # fmt: skip
        r = parse_time_ranges(text)[0]
        lo = np.searchsorted(times, np.datetime64(r.start, "ns"))
        hi = np.searchsorted(times, np.datetime64(r.end, "ns"))
        assert query.row_ranges(table, (r,)) == ([(lo, hi)] if hi > lo else [])


def test_timeline_values_and_decimation(any_store: SimulatedStores) -> None:
    key = query.store_key(any_store.folder)
    short = parse_time_ranges("1986-039-0100:0110")
    data = query.timeline(key, short, ("DCR", "R/BR", "L", "ME", "PAPS", "Dst"), points=2000)
    rates = any_store.rates.set_index("SpinStartTime").loc["1986-02-08 01:00":"1986-02-08 01:09:59"]
    np.testing.assert_array_equal(data["DCR"][0].values, rates["DCR"].to_numpy())
    assert [s.name for s in data["R/BR"]] == ["R0/BR0", "R1/BR1", "R2/BR2"]
    ratio = rates["R1"] / rates["BR1"]
    np.testing.assert_allclose(data["R/BR"][1].values, ratio.to_numpy())
    hk = any_store.hk.set_index("SpinStartTime").loc["1986-02-08 01:00":"1986-02-08 01:09:59"]
    np.testing.assert_allclose(data["PAPS"][0].values, physics.paps_kv(hk["PAPS_lvl"]))
    me = any_store.me.set_index("SpinStartTime").loc["1986-02-08 01:00":"1986-02-08 01:09:59"]
    # summed ME: the 491 boxes (ME0..ME490, spec section 6) of science cycles, NaN otherwise
    boxes = me[schema.ME_COLUMN_NAMES[: schema.N_ME_BOXES]].sum(axis=1).to_numpy()
    expected_me = np.where(me["CSHK"].to_numpy() == 0, boxes, np.nan)
    np.testing.assert_array_equal(data["ME"][0].values, expected_me)
    # A whole day decimated to 400 points keeps the extremes.
    day = query.timeline(key, DAY, ("FSR",), points=400)["FSR"][0]
    assert len(day.values) <= 400
    assert day.values.max() == any_store.rates["FSR"].max()
    assert day.values.min() == any_store.rates["FSR"].min()
    assert np.all(np.diff(day.t_ns) > 0)


def test_timeline_breaks_between_ranges(any_store: SimulatedStores) -> None:
    key = query.store_key(any_store.folder)
    two = parse_time_ranges("1986-039-0100:0105;1986-039-0200:0205")
    s = query.timeline(key, two, ("TCR",))["TCR"][0]
    assert np.isnan(s.values).sum() == 1
    t = any_store.rates["SpinStartTime"]
    inside = t.between("1986-02-08 01:00", "1986-02-08 01:04:59") | t.between(
        "1986-02-08 02:00", "1986-02-08 02:04:59"
    )
    assert s.n_raw == int(inside.sum()) == len(s.values) - 1


def test_storm_intervals(any_store: SimulatedStores) -> None:
    key = query.store_key(any_store.folder)
    storms = query.storm_intervals(key, -100.0)
    hk = any_store.hk
    hourly = hk.groupby(hk["SpinStartTime"].dt.floor("h"))["Dst"].first()
    below = hourly[hourly <= -100]
    assert len(storms) == 1
    assert storms[0].start == below.index[0].to_pydatetime()
    assert storms[0].min_dst == pytest.approx(float(below.min()))
    assert query.storm_intervals(key, -1000.0) == []


def test_default_time_range_and_summary(any_store: SimulatedStores) -> None:
    assert query.default_time_range(any_store.folder) == TimeRange(
        datetime(1986, 2, 8), datetime(1986, 2, 9)
    )
    summary = query.summarize(any_store.folder)
    assert summary.missing == ()
    assert summary.rows[schema.PHA_STORE.filename] == len(any_store.pha)


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(query.StoreMissingError, match="AMPTE_CHEM_nocal_pha.h5 is missing"):
        query.et_histogram(query.store_key(tmp_path), Selection(times=DAY), 8)
    assert len(query.summarize(tmp_path).missing) == len(schema.STORES)


def test_too_large_selection_is_refused(sim_store_no_sidecar: SimulatedStores) -> None:
    # The store path only: the sidecar path streams and has no row limit
    # (test_columns.test_fast_path_skips_the_row_limit_and_reads_only_selected_spins).
    with pytest.raises(query.SelectionTooLargeError, match="shorter time range"):
        query.et_histogram(query.store_key(sim_store_no_sidecar.folder), Selection(times=DAY), 8,
                           max_rows=1000)  # fmt: skip


def test_store_key_changes_when_a_store_is_rewritten(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    # storefactory: a store rewritten in place with other rows, which a build never does.
    from tests.storefactory import write_store

    write_store(tmp_path, schema.HK_STORE, sim_store.hk)
    k1 = query.store_key(tmp_path)
    write_store(tmp_path, schema.HK_STORE, sim_store.hk.iloc[:10])
    assert query.store_key(tmp_path) != k1
    assert query.get_table(tmp_path, schema.HK_STORE).nrows == 10  # handle reopened
    assert replace(k1) == k1


def test_row_ranges_use_the_hour_index_when_present(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    # storefactory: a PHA store without the hour index, which the build always writes.
    from tests.storefactory import write_store

    write_store(tmp_path, schema.PHA_STORE, sim_store.pha)
    indexed = query.get_table(sim_store.folder, schema.PHA_STORE)
    assert query.hour_index(indexed) is not None
    plain = query.get_table(tmp_path, schema.PHA_STORE)
    assert query.hour_index(plain) is None
    texts = (
        "1986-039-0000:0001", "1986-039-123456:1300", "", "1986-038-2300:1986-039-0010",
        "1986-039-0215:0845;1986-039-2200:2400", "1986-040-0100:0200",
    )  # fmt: skip
    for text in texts:
        times = parse_time_ranges(text)
        assert query.row_ranges(indexed, times) == query.row_ranges(plain, times)


def test_me_totals_match_brute_force(any_store: SimulatedStores) -> None:
    times = parse_time_ranges("1986-039-0300:1500")
    totals = query.me_totals(query.store_key(any_store.folder), times, (4.0, 8.0), chunk_rows=37)
    me = any_store.me
    keep = (
        me["SpinStartTime"].between("1986-02-08 03:00", "1986-02-08 14:59:59")
        & (me["CSHK"] == 0)
        & me["L"].between(4.0, 8.0)
    )
    expected = me.loc[keep, schema.ME_COLUMN_NAMES].sum(axis=0).to_numpy()
    np.testing.assert_array_equal(totals.counts, expected)
    assert totals.n_cycles == int(keep.sum()) > 0


def test_me_timeline_sums_the_491_boxes_of_science_cycles(any_store: SimulatedStores) -> None:
    me = any_store.me
    table = query.get_table(any_store.folder, schema.ME_STORE)
    got = query.read_timeline_column(table, 0, table.nrows, "ME_sum", chunk_bytes=50_000)
    boxes = me[list(range(schema.N_ME_BOXES))].to_numpy().sum(axis=1)
    expected = np.where(me["CSHK"].to_numpy() == 0, boxes, np.nan)
    np.testing.assert_array_equal(got, expected)
