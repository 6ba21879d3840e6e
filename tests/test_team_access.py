"""The science team's documented access patterns, run on a store built by the real pipeline.

Spec section 7: their notebooks and app read the stores with plain pandas (``read_hdf`` with
``where``, MultiIndex levels, ``where='index >= ...'`` on ME, integer ME labels, HK columns by
position).  Each pattern is checked for values against the same store read whole, and every
table is read again with pandas 2.2 in a second environment (``make`` builds ``.venv-pd22``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from awa import query
from awa.chem import schema
from awa.model import TimeRange
from data_build.stores import store_metadata
from tests.builtstore import DAY, KP_8PLUS, SimulatedStores

ROOT = Path(__file__).resolve().parents[1]
PD22_PYTHON = ROOT / ".venv-pd22" / "bin" / "python"

T0 = "1986-02-08 04:00"
T1 = "1986-02-08 09:30"


def _read(store: SimulatedStores, spec: schema.StoreSpec, **kw: object) -> pd.DataFrame:
    df = pd.read_hdf(store.folder / spec.filename, spec.key, **kw)
    assert isinstance(df, pd.DataFrame)
    return df


def test_pha_where_on_time_l_and_energy(sim_store: SimulatedStores) -> None:
    where = f"SpinStartTime >= '{T0}' & SpinStartTime < '{T1}' & L > 4 & L <= 6 & Energy > 0"
    sub = _read(sim_store, schema.PHA_STORE, where=where)
    full = sim_store.pha
    keep = (
        (full["SpinStartTime"] >= T0) & (full["SpinStartTime"] < T1)
        & (full["L"] > 4) & (full["L"] <= 6) & (full["Energy"] > 0)
    )  # fmt: skip
    assert 0 < len(sub) == int(keep.sum()) < len(full)
    np.testing.assert_array_equal(sub["TOF"].to_numpy(), full.loc[keep, "TOF"].to_numpy())
    np.testing.assert_array_equal(
        sub.index.get_level_values("SpinStartTime"), full.loc[keep, "SpinStartTime"]
    )
    # their list filters: PAPS_lvl in [...], DPU_Mode == 0, Voltage_Step range, SSDID
    sub = _read(
        sim_store, schema.PHA_STORE,
        where="PAPS_lvl in [5, 6] & DPU_Mode == 0 & Voltage_Step >= 10 & Voltage_Step <= 40 "
        "& SSDID == 2 & PHA_Priority == 78",
    )  # fmt: skip
    keep = (
        full["PAPS_lvl"].isin([5, 6]) & (full["DPU_Mode"] == 0)
        & full["Voltage_Step"].between(10, 40) & (full["SSDID"] == 2)
        & (full["PHA_Priority"] == 78)
    )  # fmt: skip
    assert 0 < len(sub) == int(keep.sum())


def test_pha_multiindex_levels_xs_and_groupby(sim_store: SimulatedStores) -> None:
    pha = _read(sim_store, schema.PHA_STORE, where=f"SpinStartTime < '{T1}'")
    flat = sim_store.pha[sim_store.pha["SpinStartTime"] < T1].reset_index(drop=True)
    assert pha.index.nlevels == 10
    for level in schema.PHA_INDEX_LEVELS:
        np.testing.assert_array_equal(pha.index.get_level_values(level), flat[level])
    # the team converts level 1 (PAPS_lvl) to kV by position
    assert pha.index.names[1] == "PAPS_lvl"
    # .xs on a level drops it and keeps the matching events
    priority_n = pha.xs(78, level="PHA_Priority")
    assert len(priority_n) == int((flat["PHA_Priority"] == 78).sum()) > 0
    assert "PHA_Priority" not in priority_n.index.names
    ssd2 = pha.xs(2, level="SSDID")
    np.testing.assert_array_equal(ssd2["Energy"], flat.loc[flat["SSDID"] == 2, "Energy"])
    # groupby(level=...) counts per level value
    by_ssd = pha.groupby(level="SSDID").size()
    np.testing.assert_array_equal(by_ssd.sort_index(), flat["SSDID"].value_counts().sort_index())
    energy = pha.groupby(level=["PAPS_lvl", "Voltage_Step"])["Energy"].sum()
    want = flat.groupby(["PAPS_lvl", "Voltage_Step"])["Energy"].sum()
    np.testing.assert_array_equal(energy.to_numpy(), want.to_numpy())


def test_calibration_pha_under_the_same_key(sim_store: SimulatedStores) -> None:
    cal = _read(sim_store, schema.CAL_PHA_STORE, where="Energy > 0")
    assert schema.CAL_PHA_STORE.key == "ampte_pha"
    full = sim_store.cal_pha
    assert 0 < len(cal) == int((full["Energy"] > 0).sum())
    assert list(cal.index.names) == list(schema.PHA_INDEX_LEVELS)


def test_rates_where_on_time_l_kp_and_index(sim_store: SimulatedStores) -> None:
    rates = sim_store.rates
    sub = _read(sim_store, schema.RATES_STORE, where=f"SpinStartTime >= '{T0}' & L > 5 & Kp >= 4")
    keep = (rates["SpinStartTime"] >= T0) & (rates["L"] > 5) & (rates["Kp"] >= 4)
    assert 0 < len(sub) == int(keep.sum())
    np.testing.assert_array_equal(sub["DCR"], rates.loc[keep, "DCR"])
    by_row = _read(sim_store, schema.RATES_STORE, where="index >= 100 & index < 150")
    np.testing.assert_array_equal(by_row.index, np.arange(100, 150))
    np.testing.assert_array_equal(by_row["FSR"], rates["FSR"].iloc[100:150])
    # their rate join selects columns by name; their trend code takes column 0 as the time
    cols = ["SpinStartTime", "L", "Voltage_Step", "R0", "R1", "R2", "BR0", "BR1", "BR2"]
    part = _read(sim_store, schema.RATES_STORE, columns=cols, where=f"SpinStartTime < '{T1}'")
    assert list(part.columns) == cols
    assert part.iloc[-1, 0] == part["SpinStartTime"].max()
    assert list(part.columns[:1]) == ["SpinStartTime"]


def test_kp_8_plus_selects_exactly_the_8_plus_interval(sim_store: SimulatedStores) -> None:
    start, end = (pd.Timestamp(t) for t in KP_8PLUS)
    for spec, frame in ((schema.RATES_STORE, sim_store.rates), (schema.HK_STORE, sim_store.hk)):
        sub = _read(sim_store, spec, where="Kp >= 8.667")
        inside = frame["SpinStartTime"].between(start, end, inclusive="left")
        assert 0 < len(sub) == int(inside.sum()), spec.filename
        assert sub["SpinStartTime"].min() >= start
        assert sub["SpinStartTime"].max() < end
        assert set(sub["Kp"]) == {8.667}
        assert sub["Kp"].dtype == np.float64


def test_hk_columns_in_the_teams_order(sim_store: SimulatedStores) -> None:
    hk = _read(sim_store, schema.HK_STORE, where=f"SpinStartTime >= '{T0}' & L > 3 & Kp < 8")
    assert list(hk.columns) == [
        "SpinStartTime", "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority",
        "L", "MAGLAT", "MAGLON", "Dst", "Kp",
    ]  # fmt: skip
    keep = (sim_store.hk["SpinStartTime"] >= T0) & (sim_store.hk["L"] > 3)
    keep &= sim_store.hk["Kp"] < 8
    assert 0 < len(hk) == int(keep.sum())
    # their app adds MLTH itself, then takes the orbit and index columns by position
    hk["MLTH"] = hk["MAGLON"] * 12 / np.pi
    assert list(hk.iloc[:, 6:].columns) == ["MAGLAT", "MAGLON", "Dst", "Kp", "MLTH"]
    assert list(hk.iloc[:, 5:9].columns) == ["L", "MAGLAT", "MAGLON", "Dst"]


def test_me_index_where_and_integer_labels(sim_store: SimulatedStores) -> None:
    me = _read(sim_store, schema.ME_STORE, where=f"index >= '{T0}' & index < '{T1}'")
    assert me.index.name == "SpinStartTime"
    assert me.index.min() >= pd.Timestamp(T0)
    assert me.index.max() < pd.Timestamp(T1)
    counts = me.loc[:, 0:]  # the team's selection of the 512 counts without L
    assert list(counts.columns) == list(range(512))
    flat = sim_store.me
    keep = (flat["SpinStartTime"] >= T0) & (flat["SpinStartTime"] < T1)
    assert 0 < len(me) == int(keep.sum())
    np.testing.assert_array_equal(counts.to_numpy(), flat.loc[keep, list(range(512))].to_numpy())
    assert me[55].dtype == np.int32
    # their ME view joins HK by time: the HK rows at the same cycle starts
    hk = _read(
        sim_store, schema.HK_STORE, where=f"SpinStartTime >= '{T0}' & SpinStartTime < '{T1}'"
    )
    joined = pd.concat([hk.set_index("SpinStartTime"), counts], axis=1)
    assert len(joined) == len(me)
    # L is queryable; the ME totals of the query layer are the sums of these columns
    me_l = _read(sim_store, schema.ME_STORE, where=f"index >= '{T0}' & index < '{T1}' & L > 4")
    science = flat.loc[keep, "CSHK"] == 0
    l_ok = flat.loc[keep, "L"] > 4
    assert len(me_l) == int(l_ok.sum())
    totals = query.me_totals(
        query.store_key(sim_store.folder),
        (TimeRange(pd.Timestamp(T0).to_pydatetime(), pd.Timestamp(T1).to_pydatetime()),),
        None,
    )
    np.testing.assert_array_equal(totals.counts, counts[science.to_numpy()].sum().to_numpy())


_PD22_SCRIPT = """
import json, sys
import pandas as pd
out = {"pandas": pd.__version__}
for path, key in json.loads(sys.argv[1]):
    df = pd.read_hdf(path, key)
    first = df.select_dtypes("number").iloc[0]
    out[path] = {
        "rows": len(df),
        "columns": [str(c) for c in df.columns],
        "dtypes": [str(d) for d in df.dtypes],
        "index": [str(n) for n in df.index.names],
        "index_dtypes": [str(df.index.get_level_values(i).dtype) for i in range(df.index.nlevels)],
        "first": [float(v) for v in first.to_numpy(dtype="float64")],
        "first_index": str(df.index[0]),
        "sum_last": float(df.iloc[:, -1].astype("float64").sum()),
    }
where = pd.read_hdf(sys.argv[2], "ampte_me", where="index >= '1986-02-08 04:00'")
out["me_where"] = len(where)
print(json.dumps(out))
"""


def test_pandas_22_reads_every_table(sim_store: SimulatedStores) -> None:
    if not PD22_PYTHON.exists():
        pytest.skip(f"no pandas 2.2 environment at {PD22_PYTHON} (make creates it: make test)")
    files = [(str(sim_store.folder / s.filename), s.key) for s in schema.STORES]
    me_path = str(sim_store.folder / schema.ME_STORE.filename)
    run = subprocess.run(
        [str(PD22_PYTHON), "-c", _PD22_SCRIPT, json.dumps(files), me_path],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert got["pandas"].startswith("2.2")
    for spec in schema.STORES:
        df = pd.read_hdf(sim_store.folder / spec.filename, spec.key)
        assert isinstance(df, pd.DataFrame)
        old = got[str(sim_store.folder / spec.filename)]
        assert old["rows"] == len(df) > 0, spec.filename
        assert old["columns"] == [str(c) for c in df.columns]
        assert old["dtypes"] == [str(d) for d in df.dtypes]
        assert old["index"] == [str(n) for n in df.index.names]
        want_idx = [str(df.index.get_level_values(i).dtype) for i in range(df.index.nlevels)]
        assert old["index_dtypes"] == want_idx
        want_first = df.select_dtypes("number").iloc[0].to_numpy(dtype="float64")
        np.testing.assert_array_equal(old["first"], want_first)
        assert old["first_index"] == str(df.index[0])
        assert old["sum_last"] == float(df.iloc[:, -1].astype("float64").sum())
    me = sim_store.me
    assert got["me_where"] == int((me["SpinStartTime"] >= "1986-02-08 04:00").sum()) > 0


def test_spin_start_time_is_naive_utc(sim_store: SimulatedStores) -> None:
    # where-queries take naive UTC times; the stored times carry no time zone
    pha = _read(sim_store, schema.PHA_STORE, where="SpinStartTime < '1986-02-08 00:10'")
    times = pha.index.get_level_values("SpinStartTime")
    assert times.tz is None
    assert times.min() >= pd.Timestamp(DAY)
    assert len(pha) == int((sim_store.pha["SpinStartTime"] < "1986-02-08 00:10").sum()) > 0


def test_where_lists_of_naive_times(sim_store: SimulatedStores) -> None:
    """Field case 10-pandas-where-tz-list: lists of more than 31 times select every row when
    given as naive UTC (as the README says), including aware times after tz_convert(None)."""
    rates = sim_store.rates
    times = list(rates["SpinStartTime"].iloc[100:132])
    assert len(times) == 32
    path = sim_store.folder / schema.RATES_STORE.filename
    naive = pd.read_hdf(path, schema.RATES_STORE.key, where="SpinStartTime in times")
    assert isinstance(naive, pd.DataFrame)
    assert list(naive["SpinStartTime"]) == times
    aware = pd.DatetimeIndex(times).tz_localize("UTC")
    times = list(aware.tz_convert(None))
    converted = pd.read_hdf(path, schema.RATES_STORE.key, where="SpinStartTime in times")
    assert isinstance(converted, pd.DataFrame)
    assert len(converted) == 32
    meta = store_metadata(path, schema.RATES_STORE.key)
    assert "UTC" in str(meta["time_zone"])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
