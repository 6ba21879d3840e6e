"""ME cycles: the per-cycle filters of the ME view and the per-cycle CSV of ME0..ME511."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import create_app, query, views
from awa.chem import schema
from awa.me_export import ME_CYCLE_COLUMNS, _me_cycles_frame
from awa.model import Selection, TimeRange, parse_query
from awa.query.me import CycleChunk, CycleFilter, not_applied
from awa.settings import Settings
from tests.builtstore import SimulatedStores

DAY = (TimeRange(dt.datetime(1986, 2, 8), dt.datetime(1986, 2, 9)),)
BOXES = list(range(schema.N_ME))


def _joined(store: SimulatedStores) -> pd.DataFrame:
    """ME rows with the HK row of the same start time and the E/Q steps of their spins
    (pandas, independent of the query code)."""
    me = store.me
    hk = store.hk.drop(columns=["L", "CSHK"])
    rows = me.merge(hk, on="SpinStartTime", how="left", validate="one_to_one")
    rates = store.rates[["SpinStartTime", "Voltage_Step"]]
    # a spin belongs to the last cycle started at or before it (one day, no gaps of a cycle)
    cyc = np.searchsorted(me["SpinStartTime"].to_numpy(), rates["SpinStartTime"].to_numpy(),
                          side="right") - 1  # fmt: skip
    steps = rates.assign(cycle=cyc)[cyc >= 0].groupby("cycle")["Voltage_Step"].agg(["min", "max"])
    rows["vmin"] = steps["min"].reindex(range(len(me))).to_numpy()
    rows["vmax"] = steps["max"].reindex(range(len(me))).to_numpy()
    return rows[rows["CSHK"] == 0]


CASES: list[tuple[str, CycleFilter, Any]] = [
    ("none", CycleFilter(), lambda r: np.ones(len(r), bool)),
    ("defaults", CycleFilter.of(Selection()),
     lambda r: r["L"].between(2, 10) & r["DPU_Mode"].isin([0, 2]) & (r["TAC_Slope"] == 0)
     & (r["PHA_Priority"] == 78) & r["PAPS_lvl"].isin(range(7))),
    ("paps", CycleFilter(paps_levels=(8,)), lambda r: r["PAPS_lvl"] == 8),
    ("mlt-wrap", CycleFilter(mlt_range=(22.0, 2.0)),
     lambda r: (r["MLTH"] >= 22) | (r["MLTH"] <= 2)),
    ("dst", CycleFilter(dst_range=(-200.0, -100.0)), lambda r: r["Dst"].between(-200, -100)),
    ("kp", CycleFilter(kp_range=(8.667, 9.0)), lambda r: r["Kp"].between(8.667, 9.0)),
    ("vs-even", CycleFilter(vstep_range=(0, 62)), lambda r: (r["vmin"] >= 0) & (r["vmax"] <= 62)),
    ("vs-narrow", CycleFilter(vstep_range=(10, 20)),
     lambda r: (r["vmin"] >= 10) & (r["vmax"] <= 20)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "filt", "want"), CASES, ids=[c[0] for c in CASES])
def test_cycle_filters_match_pandas(sim_store: SimulatedStores, name: str, filt: CycleFilter,
                                    want: Any) -> None:  # fmt: skip
    rows = _joined(sim_store)
    keep = want(rows).to_numpy(dtype=bool) if name != "none" else np.ones(len(rows), bool)
    totals = query.me_totals(query.store_key(sim_store.folder), DAY, filt, chunk_rows=37)
    assert totals.n_cycles == int(keep.sum())
    np.testing.assert_allclose(totals.counts, rows.loc[keep, BOXES].sum().to_numpy())
    series = query.me_timeline(query.store_key(sim_store.folder), DAY, filt, (55,), points=None)
    np.testing.assert_allclose(series.counts, rows.loc[keep, 55].to_numpy())


def test_the_filters_select_real_subsets(sim_store: SimulatedStores) -> None:
    """Each filter case keeps some cycles and drops others (so the cases above test it)."""
    key = query.store_key(sim_store.folder)
    everything = query.me_totals(key, DAY, CycleFilter()).n_cycles
    for name, filt, _ in CASES[2:7]:
        n = query.me_totals(key, DAY, filt).n_cycles
        assert 0 < n < everything, name
    # a sweep covers 0-62 or 1-63 in one cycle: a narrow E/Q range keeps none of them
    assert query.me_totals(key, DAY, CycleFilter(vstep_range=(10, 20))).n_cycles == 0
    even = query.me_totals(key, DAY, CycleFilter(vstep_range=(0, 62))).n_cycles
    odd = query.me_totals(key, DAY, CycleFilter(vstep_range=(1, 63))).n_cycles
    assert even + odd == everything


def test_caption_names_applied_and_not_applied_filters(store_settings: Settings) -> None:
    state, _ = parse_query("?t=1986-039-0000:1986-040-0000&tab=me&paps=5&vs=0,62&ssd=1,2")
    view = views.me_view(store_settings, state)
    cap = view.caption
    assert "Filters applied per cycle: L 2-10; E/Q step 0-62; PAPS 5; DPU 0,2; TAC 0; " \
           "priority N" in cap  # fmt: skip
    assert "every spin of it has its step in the range" in cap
    assert "Not applied (they select PHA events, not on-board counts): SSD 1,2; triples " \
           "only; reject TOF=1019, Range 3, SSDID>=4; ΣBR<=DCR; BR2<=TCR; " \
           "Rn<=BRn." in cap  # fmt: skip
    tl = views.me_timeline_view(store_settings, state).caption
    assert "PAPS 5" in tl
    assert "SSD 1,2" in tl
    assert not_applied(Selection(l_range=None, dpu_modes=None, tac_slopes=None,
                                 pha_priorities=None, paps_levels=None, triples_only=False,
                                 reject_tof1019=False, reject_range3=False,
                                 reject_ssd_high=False, sum_br_le_dcr=False, br2_le_tcr=False,
                                 rn_le_brn=False)) == ""  # fmt: skip


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def test_me_cycles_csv_holds_every_selected_cycle(client: Any, sim_store: SimulatedStores) -> None:
    r = client.get("/download/me_cycles.csv?t=1986-039-0200:0500&L=3,9&paps=5&tab=me")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "awa_me_cycles.csv" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0].startswith("# Filters applied per cycle: L 3-9; PAPS 5; DPU 0,2; TAC 0; ")
    assert "Not applied (PHA event filters): triples only; reject TOF=1019" in lines[0]
    assert lines[1].startswith("# Query: ?t=1986-039-0200:1986-039-0500&L=3,9&paps=5&tab=me")
    header = lines[2].split(",")
    assert header == [*ME_CYCLE_COLUMNS, *map(str, range(512))]
    got = pd.read_csv(io.StringIO(text), comment="#")
    rows = _joined(sim_store)
    rows = rows[(rows["SpinStartTime"] >= "1986-02-08 02:00")
                & (rows["SpinStartTime"] < "1986-02-08 05:00") & rows["L"].between(3, 9)
                & (rows["PAPS_lvl"] == 5)]  # fmt: skip
    assert 10 < len(got) == len(rows)
    stamps = rows["SpinStartTime"].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert list(got["SpinStartTime"]) == list(stamps)
    np.testing.assert_array_equal(got[[str(i) for i in range(512)]].to_numpy(),
                                  rows[BOXES].to_numpy())  # fmt: skip
    for name in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority"):
        np.testing.assert_array_equal(got[name].to_numpy(), rows[name].to_numpy())
    for name in ("L", "MAGLAT", "MAGLON", "Kp", "MLTH"):
        np.testing.assert_allclose(got[name], rows[name].astype(np.float64), rtol=1e-6)
    np.testing.assert_allclose(got["Dst"], rows["Dst"], equal_nan=True)


def test_me_cycles_csv_is_refused_beyond_the_row_limit(store_settings: Settings) -> None:
    path = "/download/me_cycles.csv?t=1986-039-0200:0500&L=all"
    rows = int(client_rows(store_settings, path))
    at_limit = create_app(replace(store_settings, max_rows=rows)).server.test_client()
    assert at_limit.get(path).status_code == 200
    below = create_app(replace(store_settings, max_rows=rows - 1)).server.test_client()
    r = below.get(path)
    assert r.status_code == 413
    assert f"the time range holds {rows:,} cycles" in r.text
    assert "choose a shorter time range" in r.text


def client_rows(settings: Settings, path: str) -> int:
    """Cycles of the ME store inside the path's time range (every CSHK)."""
    state, _ = parse_query(path.split("?", 1)[1])
    table = query.get_table(settings.data_dir, schema.ME_STORE)
    return sum(hi - lo for lo, hi in query.row_ranges(table, state.selection.times))


def test_cycles_without_housekeeping_have_empty_context_cells() -> None:
    n = 2
    context = {name: np.array([5, 7], dtype=schema.HK_COLUMNS[name])
               for name in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "MAGLAT",
                            "MAGLON", "Dst", "Kp")}  # fmt: skip
    context["MLTH"] = np.array([1.5, 2.5], dtype=np.float32)
    context["found"] = np.array([True, False])
    chunk = CycleChunk(np.array([0, 10**9], dtype=np.int64), np.array([3.0, 4.0], np.float32),
                       np.ones((n, 512), dtype=np.int32), context)  # fmt: skip
    text = _me_cycles_frame(chunk).to_csv(index=False, header=False)
    first, second = text.splitlines()
    assert first.startswith("1970-01-01 00:00:00,5,5,5,5,3.0,5.0,5.0,5.0,5.0,1.5,1,")
    assert second.startswith("1970-01-01 00:00:01,,,,,4.0,,,,,,1,")
