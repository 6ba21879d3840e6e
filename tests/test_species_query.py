"""Species timelines of the query layer against a direct pandas computation on the test store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from awa import query
from awa.chem import physics, species
from awa.model import Selection, parse_time_ranges
from awa.query.pieces import Step
from awa.query.species import MAX_SPIN_S, NOMINAL_SPIN_S, merge_series, species_counts
from tests.builtstore import SimulatedStores
from tests.test_physics_columns import old_sidecar  # noqa: F401, F811 - a fixture
from tests.test_query import brute_force

DAY = parse_time_ranges("1986-039")
HOUR_NS = 3600 * 10**9
SELECTIONS = {
    "default": Selection(times=DAY),
    "filtered": Selection(
        times=parse_time_ranges("1986-039-0100:0300;1986-039-0830:1745"),
        mlt_range=(20.0, 3.5),
        l_range=None,
        dst_range=(-200.0, -30.0),
        vstep_range=(5.0, 50.0),
    ),
}


def _spins(stores: SimulatedStores, sel: Selection) -> pd.DataFrame:
    """Selected spins by plain pandas: times, context and rate filters; duration to the next."""
    r = stores.rates.copy()
    t = r["SpinStartTime"]
    step = t.shift(-1).sub(t).dt.total_seconds()
    r["dur"] = step.where((step > 0) & (step <= MAX_SPIN_S), NOMINAL_SPIN_S)
    keep = pd.Series(False, index=r.index)
    for tr in sel.times:
        keep |= (t >= pd.Timestamp(tr.start)) & (t < pd.Timestamp(tr.end))
    if sel.l_range:
        keep &= r["L"].between(*sel.l_range)
    if sel.vstep_range:
        keep &= r["Voltage_Step"].between(*sel.vstep_range)
    if sel.mlt_range:
        lo, hi = sel.mlt_range
        keep &= r["MLTH"].between(lo, hi) if lo <= hi else (r["MLTH"] >= lo) | (r["MLTH"] <= hi)
    for col, allowed in (
        ("PAPS_lvl", sel.paps_levels),
        ("DPU_Mode", sel.dpu_modes),
        ("TAC_Slope", sel.tac_slopes),
        ("PHA_Priority", sel.pha_priorities),
    ):
        if allowed is not None:
            keep &= r[col].isin(allowed)
    if sel.dst_range:
        keep &= r["Dst"].between(*sel.dst_range)
    br = r[["BR0", "BR1", "BR2"]].astype("int64")
    if sel.sum_br_le_dcr:
        keep &= br.sum(axis=1) <= r["DCR"]
    if sel.br2_le_tcr:
        keep &= br["BR2"] <= r["TCR"]
    if sel.rn_le_brn:
        for n in range(3):
            keep &= r[f"R{n}"] <= br[f"BR{n}"]
    assert sel.sweep is None
    assert sel.kp_range is None
    assert sel.max_br0 is None
    return r[keep]


def _expected(
    stores: SimulatedStores, sel: Selection, bins: pd.Series, spin_bins: pd.Series, names: list[str]
) -> pd.DataFrame:
    ev = brute_force(stores, sel)
    phys = physics.convert_events(ev["Energy"], ev["TOF"], ev["Voltage_Step"], ev["PAPS_lvl"])
    code = species.classify(phys["mass"], phys["mpq"], species.default_regions())
    rng = ev["Range"].to_numpy()
    br = np.select([rng == 0, rng == 1, rng == 2], [ev["BR0"], ev["BR1"], ev["BR2"]], np.nan)
    r = np.select([rng == 0, rng == 1, rng == 2], [ev["R0"], ev["R1"], ev["R2"]], np.nan)
    w = np.where(r > 0, br / np.where(r > 0, r, 1), 0.0)
    frame = pd.DataFrame({"bin": bins.to_numpy(), "code": code, "w": np.nan_to_num(w)})
    frame = frame[frame["bin"] >= 0]
    counts = frame.groupby(["bin", "code"]).size().unstack(fill_value=0)
    weights = frame.groupby(["bin", "code"])["w"].sum().unstack(fill_value=0.0)
    out = pd.DataFrame(index=sorted(set(frame["bin"]) | set(spin_bins[spin_bins >= 0])))
    for j, name in enumerate(names):
        out[f"n {name}"] = counts.get(j, pd.Series(dtype=float)).reindex(out.index).fillna(0)
        out[f"w {name}"] = weights.get(j, pd.Series(dtype=float)).reindex(out.index).fillna(0)
    return out


def _check(
    got: query.results.SpeciesSeries, want: pd.DataFrame, spins: pd.DataFrame, spin_bins: pd.Series
) -> None:
    assert got.start.tolist() == [int(b) for b in want.index]
    for j, name in enumerate(got.names):
        assert got.counts[:, j].tolist() == want[f"n {name}"].astype(int).tolist(), name
        np.testing.assert_allclose(got.weighted[:, j], want[f"w {name}"], rtol=1e-12)
    inside = spin_bins >= 0
    per_bin = spins[inside.to_numpy()].groupby(spin_bins[inside].to_numpy())
    n_spins = per_bin.size().reindex(want.index, fill_value=0)
    acc = per_bin["dur"].sum().reindex(want.index, fill_value=0.0)
    assert got.spins.tolist() == n_spins.tolist()
    np.testing.assert_allclose(got.accumulation_s, acc.to_numpy(), rtol=1e-12)
    assert got.unbinned_spins == int((~inside).sum())
    dst = per_bin["Dst"].mean().reindex(want.index)
    np.testing.assert_allclose(got.dst(), dst.to_numpy(), rtol=1e-12)
    kp = per_bin["Kp"].mean().reindex(want.index)
    np.testing.assert_allclose(got.kp(), kp.to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_hourly_species_equal_a_direct_computation(any_store: SimulatedStores, name: str) -> None:
    sel = SELECTIONS[name]
    got = species_counts(query.store_key(any_store.folder), sel, species.default_regions(), "hour")
    spins = _spins(any_store, sel)
    spin_bins = spins["SpinStartTime"].astype("int64") // HOUR_NS * HOUR_NS
    ev_t = brute_force(any_store, sel)["SpinStartTime"].astype("int64")
    want = _expected(any_store, sel, ev_t // HOUR_NS * HOUR_NS, spin_bins, list(got.names))
    assert got.counts.sum() > 1000
    assert got.names == tuple(species.code_names(species.default_regions()))
    _check(got, want, spins, spin_bins)
    assert np.all(got.stop - got.start == HOUR_NS)
    if name == "default":  # the store's one hour without Dst
        assert np.isnan(got.dst()).sum() == 1


def _cycle_bins(stores: SimulatedStores, t: pd.Series) -> pd.Series:
    starts = np.unique(stores.hk["SpinStartTime"].astype("int64").to_numpy())
    stops = np.minimum(np.append(starts[1:], np.iinfo(np.int64).max), starts + 210 * 10**9)
    tv = t.astype("int64").to_numpy()
    i = np.searchsorted(starts, tv, side="right") - 1
    ok = (i >= 0) & (tv < stops[np.clip(i, 0, None)])
    return pd.Series(np.where(ok, starts[np.clip(i, 0, None)], -1), index=t.index)


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_cycle_species_equal_a_direct_computation(sim_store: SimulatedStores, name: str) -> None:
    sel = SELECTIONS[name]
    key = query.store_key(sim_store.folder)
    got = species_counts(key, sel, species.default_regions(), "cycle")
    spins = _spins(sim_store, sel)
    spin_bins = _cycle_bins(sim_store, spins["SpinStartTime"])
    ev = brute_force(sim_store, sel)
    want = _expected(
        sim_store, sel, _cycle_bins(sim_store, ev["SpinStartTime"]), spin_bins, list(got.names)
    )
    _check(got, want, spins, spin_bins)
    if name == "default":  # about 32 spins of 5.6 s a cycle
        assert np.median(got.spins) == 32
        assert abs(np.median(got.accumulation_s) - 179.2) < 5
    # day by day with progress (cut at midnights and merged) gives the same series
    calls: list[Step] = []
    two = replace(sel, times=parse_time_ranges("1986-038-2200:1986-040-0100"))
    whole = species_counts(key, two, species.default_regions(), "cycle")
    daily = species_counts(
        key, two, species.default_regions(), "cycle", progress=calls.append
    )
    last = calls[-1]
    assert (last.pieces_done, last.pieces_total) == (3, 3)
    assert (last.ranges_done, last.ranges_total) == (1, 1)
    assert last.events == int(whole.counts.sum())
    for field in ("start", "stop", "counts", "spins"):
        assert np.array_equal(getattr(whole, field), getattr(daily, field)), field
    np.testing.assert_allclose(whole.accumulation_s, daily.accumulation_s)


def test_bad_cadence_and_regions_get_clear_messages(sim_store: SimulatedStores) -> None:
    key = query.store_key(sim_store.folder)
    with pytest.raises(ValueError, match="species cadence 'day'"):
        species_counts(key, Selection(times=DAY), species.default_regions(), "day")
    with pytest.raises(ValueError, match="no species regions"):
        species_counts(key, Selection(times=DAY), (), "hour")
    with pytest.raises(ValueError, match="no species series"):
        merge_series([])


@pytest.mark.parametrize("cadence", ["cycle", "hour"])
def test_stored_mpq_codes_give_the_per_request_species(
    sim_store: SimulatedStores, old_sidecar: Path, cadence: str  # noqa: F811
) -> None:
    """Species from the build's M/Q codes (region look-ups) equal the per-request ones.

    The second region set puts bounds at arbitrary values, inside many code intervals, so
    the exact conversion of the events whose code straddles a bound is exercised.
    """
    odd = (
        species.SpeciesRegion("a", 0.8123, 1.2345, 0.61, 1.733),
        species.SpeciesRegion("b", 1.2345, 3.3333, 0.5, 9.871),
        species.SpeciesRegion("c", 7.77, 21.3, 11.1, 19.19),
    )
    sel = Selection(times=parse_time_ranges("1986-039"))
    for regions in (species.default_regions(), odd):
        assert query.get_sidecar(sim_store.folder).has_mpq_code
        assert not query.get_sidecar(old_sidecar).has_mpq_code
        fast = species_counts(query.store_key(sim_store.folder), sel, regions, cadence)
        slow = species_counts(query.store_key(old_sidecar), sel, regions, cadence)
        assert fast.counts.sum() > 1000
        for field in ("start", "stop", "counts", "spins"):
            assert np.array_equal(getattr(fast, field), getattr(slow, field)), field
        np.testing.assert_allclose(fast.weighted, slow.weighted, rtol=1e-12)
        np.testing.assert_allclose(fast.accumulation_s, slow.accumulation_s)
