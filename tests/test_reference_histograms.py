"""AWA's E-T, M-M/Q and ME totals equal an independent reference, bin for bin.

The reference reads the stores the science team's way (``pd.read_hdf`` with ``where`` on the
queryable columns, spec section 7) and converts channels with a plain scalar implementation
of spec section 4 written here (checked first against the spec's reference values), on the
team's default grids: E-T 0-500 channels in 1-channel bins (501 x 501 = 251,001 cells) and
M-M/Q 0.5-100 at 0.01 decade with ``num = int(log10(hi/lo)/w) + 1`` edges on both axes.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import tables

from awa import query
from awa.chem import schema
from awa.model import Selection, TimeRange
from tests.builtstore import SimulatedStores

T0, T1 = datetime(1986, 2, 8, 3), datetime(1986, 2, 8, 11)
#: L 2-10, DPU 0/2, TAC 0, priority N and AWA's rejections; not the team's triples-only, PAPS
#: and rate-relation defaults (the reference reads the PHA store alone, without the rates).
SEL = Selection(times=(TimeRange(T0, T1),), triples_only=False, paps_levels=None,
                sum_br_le_dcr=False, br2_le_tcr=False, rn_le_brn=False)  # fmt: skip
WHERE = (
    f"SpinStartTime >= '{T0:%Y-%m-%d %H:%M}' & SpinStartTime < '{T1:%Y-%m-%d %H:%M}' "
    "& L >= 2 & L <= 10 & DPU_Mode in [0, 2] & TAC_Slope == 0 & PHA_Priority == 78 & SSDID < 4"
)

# --- spec section 4, one event at a time -------------------------------------------------

_A = (-0.0148377, -0.423249, -1.63108, 0.306567, 0.0379776, 0.0592979)
_PAPS_KV = {1: 14.0, 2: 15.3, 3: 17.0, 4: 18.8, 5: 21.9, 6: 24.1}


def _table(name: str) -> list[list[str]]:
    text = resources.files("awa.chem").joinpath(f"tables/{name}").read_text()
    return [row for row in csv.reader(text.splitlines()) if row]


_EPQ = {int(r[0]): float(r[1]) for r in _table("epq_steps.csv")[1:]}
_DEDX_ROWS = _table("cfoil_dedx.csv")
_DEDX_MASSES = [float(h.rsplit("_m", 1)[1]) for h in _DEDX_ROWS[0][1:]]
_DEDX_E = [float(r[0]) for r in _DEDX_ROWS[1:]]
_DEDX = [[float(v) for v in r[1:]] for r in _DEDX_ROWS[1:]]


def _bracket(values: list[float], x: float) -> int:
    """i with values[i] <= x < values[i+1]; the last two at or above the end, first two below."""
    for i in range(len(values) - 1):
        if x < values[i + 1]:
            return i
    return len(values) - 2


def ref_dedx(epn: float, mass: float) -> float:
    mass = max(mass, 1.0)
    epn = max(epn, 1e-5)
    j = _bracket(_DEDX_MASSES, mass)
    i = _bracket(_DEDX_E, epn)
    fm = (mass - _DEDX_MASSES[j]) / (_DEDX_MASSES[j + 1] - _DEDX_MASSES[j])
    lo = _DEDX[i][j] + fm * (_DEDX[i][j + 1] - _DEDX[i][j])
    hi = _DEDX[i + 1][j] + fm * (_DEDX[i + 1][j + 1] - _DEDX[i + 1][j])
    fe = (math.log(epn) - math.log(_DEDX_E[i])) / (math.log(_DEDX_E[i + 1]) - math.log(_DEDX_E[i]))
    return math.exp(math.log(lo) + fe * (math.log(hi) - math.log(lo)))


def ref_mass(energy_ch: int, tof_ch: int) -> float:
    e = energy_ch * 1500 / 1023
    t = tof_ch * 320 / 1023
    if not (e > 20 and t > 0):
        return 0.0
    le, lt = math.log(e), math.log(t)
    a = _A
    return math.exp(a[0] + a[1] * le + a[2] * lt + a[3] * le * lt + a[4] * le**2 + a[5] * lt**3)


def ref_mpq(tof_ch: int, mass: float, step: int, paps_kv: float) -> float:
    t = tof_ch * 320 / 1023
    if t <= 0:
        return 0.0
    epq = _EPQ[step]
    if mass < 0.1:
        mpq1 = (t / 239.89) ** 2 * (epq + paps_kv - 4.0)
        used = 1.0 if mpq1 <= 1.5 else 3.97 if mpq1 <= 6.0 else 15.87
    else:
        used = mass

    def divide(m: float) -> float:
        epn = [0.0, (239.89 / t) ** 2]  # epn[n], n = 1..11
        stop = 10
        for n in range(1, 11):
            epn.append(epn[1] + ref_dedx(epn[n], m) * 4.9 / m)
            if abs(epn[n + 1] - epn[n]) <= 0.01:
                stop = n
                break
        return (epq + paps_kv) / epn[stop]

    mpq = divide(used)
    if mass != 0 and (6 < mpq < 23 or (mpq < 6 and mass > 7)):
        mpq = divide(15.87)
    return max(0.0, mpq)


_SPEC_ROWS = [
    (20, 143, 20, 21.9, 0.981644, 0.909231), (21, 143, 20, 21.9, 1.03075, 0.912748),
    (18, 416, 35, 21.9, 16.3404, 12.056), (83, 229, 20, 21.9, 15.9682, 2.3998),
    (0, 143, 20, 21.9, 0, 0.910979), (0, 300, 40, 21.9, 0, 8.74253),
    (0, 600, 50, 21.9, 0, 55.3281), (150, 500, 10, 14.0, 711.89, 5.91639),
    (300, 250, 5, 24.1, 115.817, 2.5553), (60, 700, 60, 17.0, 843.861, 181.687),
    (40, 900, 63, 18.8, 1590.33, 360.698), (500, 90, 30, 21.9, 10.5597, 0.519456),
    (12, 400, 45, 21.9, 0, 19.9092),
]  # fmt: skip


@pytest.mark.parametrize("row", _SPEC_ROWS)
def test_the_reference_reproduces_the_spec_values(row: tuple[float, ...]) -> None:
    energy, tof, step, kv, mass_want, mpq_want = row
    mass = ref_mass(int(energy), int(tof))
    assert mass == pytest.approx(mass_want, rel=1e-4, abs=1e-9)
    assert ref_mpq(int(tof), mass, int(step), kv) == pytest.approx(mpq_want, rel=1e-4)


# --- the comparisons -----------------------------------------------------------------------


def _reference_events(store: SimulatedStores) -> pd.DataFrame:
    """Selected events, read the team's way: ``where`` on the store, then a query."""
    pha = pd.read_hdf(store.folder / schema.PHA_STORE.filename, schema.PHA_STORE.key, where=WHERE)
    assert isinstance(pha, pd.DataFrame)
    pha = pha.query("TOF != 1019 & Range != 3")
    return pha.reset_index()


def test_et_histogram_on_the_teams_grid(any_store: SimulatedStores) -> None:
    sim_store = any_store  # the column sidecar, then the store read directly
    ev = _reference_events(sim_store)
    edges = np.arange(0, 502)  # channels 0..500, one bin each
    want = np.zeros((501, 501))  # counts[energy channel, TOF channel]
    energy, tof = ev["Energy"].to_numpy(), ev["TOF"].to_numpy()
    inside = (energy <= 500) & (tof <= 500)
    np.add.at(want, (energy[inside], tof[inside]), 1)
    hist = query.et_histogram(query.store_key(sim_store.folder), SEL, 1, (0, 500), (0, 500))
    assert hist.counts.shape == (501, 501)
    assert hist.counts.size == 251_001
    np.testing.assert_array_equal(hist.x_edges, edges)
    assert hist.n_selected == len(ev) > 1000
    np.testing.assert_array_equal(hist.counts, want)
    assert 0 < want.sum() < len(ev)  # some events lie beyond channel 500


def _team_log_edges(lo: float, hi: float, width: float) -> np.ndarray:
    num = int((np.log10(hi) - np.log10(lo)) / width) + 1
    return np.geomspace(lo, hi, num=num)


def test_mmq_histogram_on_the_teams_grid(any_store: SimulatedStores) -> None:
    sim_store = any_store  # the column sidecar, then the store read directly
    ev = _reference_events(sim_store)
    edges = _team_log_edges(0.5, 100.0, 0.01)
    assert len(edges) == 231
    mass = np.array([ref_mass(e, t) for e, t in zip(ev["Energy"], ev["TOF"], strict=True)])
    on_grid = (mass >= 0.5) & (mass <= 100.0)
    mpq = np.full(len(ev), np.nan)
    for i in np.flatnonzero(on_grid & ev["PAPS_lvl"].isin(list(_PAPS_KV)).to_numpy()):
        kv = _PAPS_KV[int(ev["PAPS_lvl"].iat[i])]
        mpq[i] = ref_mpq(int(ev["TOF"].iat[i]), mass[i], int(ev["Voltage_Step"].iat[i]), kv)
    want, _, _ = np.histogram2d(mass, mpq, bins=(edges, edges))
    hist = query.mmq_histogram(
        query.store_key(sim_store.folder), SEL, 0.01, 0.01, (0.5, 100.0), (0.5, 100.0),
        exact_range=True,
    )  # fmt: skip
    np.testing.assert_allclose(hist.x_edges, edges, rtol=1e-12)
    np.testing.assert_allclose(hist.y_edges, edges, rtol=1e-12)
    assert hist.n_selected == len(ev)
    assert want.sum() > 1000
    np.testing.assert_array_equal(hist.counts, want)


def test_me_totals_equal_the_store_columns(sim_store: SimulatedStores) -> None:
    path = sim_store.folder / schema.ME_STORE.filename
    me = pd.read_hdf(
        path, schema.ME_STORE.key,
        where=f"index >= '{T0:%Y-%m-%d %H:%M}' & index < '{T1:%Y-%m-%d %H:%M}' & L >= 2 & L <= 10",
    )  # fmt: skip
    assert isinstance(me, pd.DataFrame)
    full = pd.read_hdf(path, schema.ME_STORE.key)
    assert isinstance(full, pd.DataFrame)
    with tables.open_file(path) as h5:  # AWA's CSHK of each cycle, beside the team's table
        cshk = pd.Series(h5.get_node("/awa/columns/CSHK").read(), index=full.index)
    science = (cshk.loc[me.index] == 0).to_numpy()
    assert 0 < science.sum() < len(me) or science.all()
    want = me.loc[science, 0:].sum().to_numpy(dtype=np.float64)
    got = query.me_totals(query.store_key(sim_store.folder), SEL.times, (2.0, 10.0))
    assert got.n_cycles == int(science.sum()) > 100
    np.testing.assert_array_equal(got.counts, want)
    assert want[: schema.N_ME_BOXES].sum() > 0
