"""Timeline features of the team's app (issue 9, point 5): with filters, y ranges, period
counter 0 only, quantities and ratios on one axis, the spins a rate filter rejected.

Expected values are computed here with pandas from the rates store, independently of the
query layer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import create_app, query, views
from awa.figures.timeline import axis_range, timeline_figure
from awa.model import FilterError, Selection, parse_query, parse_time_ranges, to_query
from awa.model.view import (
    own_panel_name,
    parse_quantity_panels,
    parse_yranges,
    yrange_for,
)
from awa.query.timelines import iter_rejected_spins, quantity_values, spin_filters, timeline
from awa.settings import Settings
from tests.builtstore import SimulatedStores

DAY = "1986-039-0000:1986-040-0000"
NO_DECIMATION = 10**7


@pytest.fixture(scope="module")
def rates(sim_store: SimulatedStores) -> pd.DataFrame:
    """The whole rates store of the simulated day, read with pandas."""
    return pd.read_hdf(sim_store.folder / "AMPTE_CHEM_rates_dst.h5", "ampte_rates")


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def _csv(client: Any, url: str) -> tuple[list[str], pd.DataFrame]:
    with client.get(url) as r:
        assert r.status_code == 200, r.get_data(as_text=True)
        text = r.get_data(as_text=True)
    head = [line for line in text.splitlines() if line.startswith("#")]
    return head, pd.read_csv(io.StringIO(text), comment="#")


def _trace(data: dict[str, list[Any]], panel: str, name: str) -> Any:
    return next(s for s in data[panel] if s.name == name)


# ---------------------------------------------------------------------------------------
# The model: quantities on one axis, y ranges
# ---------------------------------------------------------------------------------------


def test_quantity_panels_parse_canonically_and_round_trip_through_the_url() -> None:
    assert parse_quantity_panels("r0/br0, fsr/DCR; DCR TCR;") == (
        ("R0/BR0", "FSR/DCR"), ("DCR", "TCR"),
    )  # fmt: skip
    assert parse_quantity_panels("") == ()
    state, errors = parse_query("?tlq=R0/BR0,FSR/DCR;L,Kp&tlf=1&pc0=1")
    assert errors == []
    assert state.view.tl_quantities == (("R0/BR0", "FSR/DCR"), ("L", "Kp"))
    assert state.view.tl_filtered
    assert state.view.tl_pc0
    assert parse_query(to_query(state))[0] == state
    for bad, says in (("FSR/L", "not a quantity"), ("XYZ", "not a quantity"),
                      (",".join(["FSR"] * 1 + ["DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0",
                                               "R1", "R2"]), "at most 9")):  # fmt: skip
        with pytest.raises(FilterError, match=says):
            parse_quantity_panels(bad)


def test_y_ranges_per_panel_or_one_for_all() -> None:
    ranges = parse_yranges("fsr:1,1e5; L:2,8; r0/br0:,2; 0,100; Dst:auto,50")
    assert ranges == (
        ("FSR", 1.0, 1e5), ("L", 2.0, 8.0), ("R0/BR0", None, 2.0), ("", 0.0, 100.0),
        ("Dst", None, 50.0),
    )  # fmt: skip
    assert yrange_for(ranges, "FSR") == (1.0, 1e5)
    assert yrange_for(ranges, "DCR") == (0.0, 100.0)  # the one for all
    assert yrange_for(ranges, own_panel_name(("FSR/DCR", "R0/BR0"))) == (None, 2.0)
    assert yrange_for(ranges, "Kp") is None  # the range for all leaves Kp alone
    assert yrange_for(ranges, "Dst") == (None, 50.0)
    state = parse_query("?tly=FSR:1,1e5;0,100")[0]
    assert parse_query(to_query(state))[0] == state
    for bad, says in (("FSR:5,1", "low end must be below"), ("FOO:1,2", "not a panel"),
                      ("FSR:1", "not a y range"), ("FSR:a,2", "not a number")):  # fmt: skip
        with pytest.raises(FilterError, match=says):
            parse_yranges(bad)


def test_axis_range_on_log_and_linear_axes() -> None:
    assert axis_range((1.0, 1e5), log=True) == [0.0, 5.0]
    assert axis_range((0.0, 100.0), log=True) == [None, 2.0]  # 0 cannot be drawn on log
    assert axis_range((0.0, 100.0), log=False) == [0.0, 100.0]
    assert axis_range((None, None), log=False) is None


# ---------------------------------------------------------------------------------------
# The query layer against pandas
# ---------------------------------------------------------------------------------------


def test_ratio_with_zero_denominator_is_a_gap_not_inf(
    sim_store: SimulatedStores, rates: pd.DataFrame
) -> None:
    r = quantity_values({"R0": np.array([3, 0, 5]), "BR0": np.array([6, 0, 0])}, "R0/BR0")
    np.testing.assert_array_equal(r, [0.5, np.nan, np.nan])
    times = parse_time_ranges(DAY)
    panel = own_panel_name(("R0/BR0", "FSR/DCR", "DCR"))
    data = timeline.uncached(query.store_key(sim_store.folder), times, (panel,), NO_DECIMATION)
    assert [s.name for s in data[panel]] == ["R0/BR0", "FSR/DCR", "DCR"]
    fsr_dcr = _trace(data, panel, "FSR/DCR").values
    dcr = rates["DCR"].to_numpy()
    assert (dcr == 0).sum() > 0  # the day has spins without DCR
    expected = np.where(dcr > 0, rates["FSR"] / np.where(dcr > 0, dcr, 1), np.nan)
    np.testing.assert_allclose(fsr_dcr, expected, equal_nan=True)
    assert not np.isinf(fsr_dcr).any()
    np.testing.assert_array_equal(_trace(data, panel, "DCR").values, dcr)


def _passes(rates: pd.DataFrame, sel: Selection) -> np.ndarray:
    """Spins passing the spin filters of ``sel`` as used below (pandas, independent)."""
    ok = rates["L"].between(*sel.l_range) if sel.l_range else pd.Series(True, rates.index)
    ok &= rates["DPU_Mode"].isin(sel.dpu_modes or (0, 1, 2, 3))
    ok &= rates["TAC_Slope"].isin(sel.tac_slopes or range(8))
    ok &= rates["PHA_Priority"].isin(sel.pha_priorities or (66, 76, 78))
    if sel.paps_levels is not None:
        ok &= rates["PAPS_lvl"].isin(sel.paps_levels)
    if sel.rn_le_brn:
        for n in range(3):
            ok &= rates[f"R{n}"] <= rates[f"BR{n}"]
    if sel.sum_br_le_dcr:
        ok &= rates["BR0"] + rates["BR1"] + rates["BR2"] <= rates["DCR"]
    if sel.br2_le_tcr:
        ok &= rates["BR2"] <= rates["TCR"]
    return ok.to_numpy()


def test_with_filters_gaps_the_spins_that_fail(
    sim_store: SimulatedStores, rates: pd.DataFrame
) -> None:
    times = parse_time_ranges(DAY)
    sel = Selection(times=times, l_range=(5.0, 8.0), sum_br_le_dcr=True, br2_le_tcr=True,
                    ssd_ids=(1,), triples_only=True)  # fmt: skip
    key = query.store_key(sim_store.folder)
    data = timeline.uncached(key, times, ("FSR", "L"), NO_DECIMATION, None, spin_filters(sel))
    ok = _passes(rates, sel)
    assert 0 < ok.sum() < len(ok)
    fsr = data["FSR"][0]
    np.testing.assert_array_equal(fsr.values, np.where(ok, rates["FSR"], np.nan))
    assert fsr.n_raw == ok.sum()
    # the HK panel is not filtered
    assert np.isfinite(data["L"][0].values).all()
    # the event-level filters (SSD, triples) do not describe spins: same result without them
    plain = Selection(times=times, l_range=(5.0, 8.0), sum_br_le_dcr=True, br2_le_tcr=True)
    same = timeline.uncached(key, times, ("FSR",), NO_DECIMATION, None, spin_filters(plain))
    np.testing.assert_array_equal(same["FSR"][0].values, fsr.values)


def test_period_counter_zero_only(sim_store: SimulatedStores, rates: pd.DataFrame) -> None:
    times = parse_time_ranges(DAY)
    data = timeline.uncached(query.store_key(sim_store.folder), times, ("DCR",),
                             NO_DECIMATION, None, None, True)  # fmt: skip
    first = rates[rates["Period_Cntr"] == 0]
    series = data["DCR"][0]
    np.testing.assert_array_equal(series.t_ns, first["SpinStartTime"].to_numpy().view(np.int64))
    np.testing.assert_array_equal(series.values, first["DCR"].to_numpy())
    assert series.n_raw == len(first) < len(rates)


def test_filtered_timeline_is_decimated_and_re_read_on_zoom(store_settings: Settings) -> None:
    state = parse_query(f"?t={DAY}&panels=FSR&tlf=1&L=5,8")[0]
    full = views.timeline_view(store_settings, state)
    assert len(full.figure.data[0].y) <= store_settings.timeline_points + 20
    assert "spins kept" in full.caption
    assert "L 5-8" in full.caption
    window = parse_time_ranges("1986-039-0300:0310")[0]
    zoomed = views.timeline_view(store_settings, state, window)
    assert "Zoomed to" in zoomed.caption
    assert "spins kept" in zoomed.caption
    y = np.asarray(zoomed.figure.data[0].y, dtype=float)
    assert 90 <= len(y) <= 110  # every spin of the 10 minutes (about 6 s each), no decimation


def test_rejected_spins_name_each_failed_relation(
    sim_store: SimulatedStores, rates: pd.DataFrame
) -> None:
    times = parse_time_ranges(DAY)
    sel = Selection(times=times, sum_br_le_dcr=True, br2_le_tcr=True, rn_le_brn=True,
                    max_br0=30.0)  # fmt: skip
    chunks = list(iter_rejected_spins(sim_store.folder, sel, chunk_rows=4000))
    t = np.concatenate([c["SpinStartTime"] for c in chunks])
    failed = np.concatenate([c["failed"] for c in chunks])
    sum_br = (rates["BR0"] + rates["BR1"] + rates["BR2"] > rates["DCR"]).to_numpy()
    br2 = (rates["BR2"] > rates["TCR"]).to_numpy()
    br0 = (rates["BR0"] > 30).to_numpy()
    bad = sum_br | br2 | br0
    np.testing.assert_array_equal(t, rates["SpinStartTime"].to_numpy()[bad].view(np.int64))
    assert sum("sum BR <= DCR" in f for f in failed) == sum_br.sum() > 0
    assert sum("BR2 <= TCR" in f for f in failed) == br2.sum() > 0
    assert sum("BR maximums" in f for f in failed) == br0.sum() > 0
    assert not any("R_n <= BR_n" in f for f in failed)
    both = sum_br & br2
    assert sum(f == "sum BR <= DCR; BR2 <= TCR" for f in failed) == both[bad & ~br0].sum()


def test_rejected_spins_of_the_sweep_filter_are_whole_sweeps(
    sim_store: SimulatedStores, rates: pd.DataFrame
) -> None:
    sel = parse_query(f"?t={DAY}&sweep=DCR,40,3&brdcr=0&br2tcr=0&rnbrn=0")[0].selection
    chunks = list(iter_rejected_spins(sim_store.folder, sel, chunk_rows=1000))
    t = np.concatenate([c["SpinStartTime"] for c in chunks])
    sweep = (rates["Period_Cntr"] == 0).cumsum()
    hot = sweep[(rates["Voltage_Step"] == 3) & (rates["DCR"] > 40)].unique()
    expected = rates["SpinStartTime"][sweep.isin(hot)].to_numpy().view(np.int64)
    assert len(expected) > 0
    np.testing.assert_array_equal(t, expected)
    assert {f for c in chunks for f in c["failed"]} == {"sweep filter"}


# ---------------------------------------------------------------------------------------
# Downloads and the figure
# ---------------------------------------------------------------------------------------


def test_timeline_csv_with_filters_says_so_and_keeps_the_passing_spins(
    client: Any, rates: pd.DataFrame
) -> None:
    head, frame = _csv(client, f"/download/timeline.csv?t={DAY}&tlf=1&L=5,8&brdcr=1&ssd=1"
                               f"&tlq=FSR/DCR")  # fmt: skip
    applied = next(line for line in head if line.startswith("# Filters applied:"))
    not_applied = next(line for line in head if line.startswith("# Filters not applied:"))
    assert "spin filters L 5-8" in applied
    assert "BR<=DCR" in applied
    assert "SSD 1" in not_applied
    assert "L 5-8" not in not_applied
    ok = _passes(rates, Selection(l_range=(5.0, 8.0), sum_br_le_dcr=True))
    assert len(frame) == ok.sum()
    dcr = frame["DCR"].to_numpy()
    np.testing.assert_allclose(frame["FSR/DCR"], np.where(dcr > 0, frame["FSR"] / dcr, np.nan),
                               equal_nan=True)  # fmt: skip
    head, frame = _csv(client, f"/download/timeline.csv?t={DAY}&pc0=1")
    assert "period counter 0 only" in next(h for h in head if h.startswith("# Filters applied"))
    assert len(frame) == (rates["Period_Cntr"] == 0).sum()


def test_rejected_csv_download(client: Any, rates: pd.DataFrame) -> None:
    head, frame = _csv(client, f"/download/rejected.csv?t={DAY}&brdcr=1&br2tcr=1&rnbrn=0&L=5,8")
    assert "# KIND: rejected_spins" in head
    assert "# Rate relations on: sum BR <= DCR, BR2 <= TCR" in head
    assert list(frame.columns[:3]) == ["time_utc", "failed", "passes_other_filters"]
    bad = ((rates["BR0"] + rates["BR1"] + rates["BR2"] > rates["DCR"])
           | (rates["BR2"] > rates["TCR"])).to_numpy()  # fmt: skip
    assert len(frame) == bad.sum() > 0
    in_l = rates["L"].between(5, 8).to_numpy()[bad]
    ok_other = _passes(rates, Selection(l_range=(5.0, 8.0), sum_br_le_dcr=False,
                                         br2_le_tcr=False, rn_le_brn=False))[bad]
    assert (frame["passes_other_filters"].to_numpy() == ok_other).all()
    assert 0 < in_l.sum() < len(in_l)
    head, frame = _csv(client, f"/download/rejected.csv?t={DAY}&brdcr=0&br2tcr=0&rnbrn=0")
    assert "# Rate relations on: none" in head
    assert any("No rate relation is on" in h for h in head)
    assert len(frame) == 0


def test_figure_y_ranges_and_own_panel_legend(store_settings: Settings, tmp_path: Path) -> None:
    state = parse_query(f"?t={DAY}&panels=FSR,L&tlq=R0/BR0,FSR/DCR&tly=FSR:10,1e4;L:2,8;0.1,2"
                        "&log=1")[0]  # fmt: skip
    fig = views.timeline_view(store_settings, state).figure
    lay = fig.layout
    assert list(lay.yaxis.range) == [1.0, 4.0]  # log axis: log10 of 10 and 1e4
    assert list(lay.yaxis2.range) == [2.0, 8.0]
    assert lay.yaxis3.title.text == "R0/BR0, FSR/DCR"
    np.testing.assert_allclose(list(lay.yaxis3.range), [-1.0, np.log10(2)])
    assert list(lay.yaxis4.range) == [0, 9]  # Kp keeps its scale
    assert lay.showlegend
    assert [t.name for t in fig.data if t.showlegend] == ["R0/BR0", "FSR/DCR"]
    plain = timeline_figure({"FSR": []}, True, "t")
    assert plain.layout.yaxis.range is None
