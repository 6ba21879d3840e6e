"""Tests of data_build.simulate: layout, orbit, forward model, rates, quirks, round trip."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from awa.chem import me_boxes, physics
from awa.chem.schema import CLIP_HIGH_SECONDS, EVENTS_PER_SPIN, N_ME_BOXES, SPINS_PER_CYCLE
from data_build import simulate as sim_mod
from data_build.fits_layout import HDUS
from data_build.simulate import SimConfig, SimDay, SimulationError, intensity

QUIET_DAY = dt.date(1986, 2, 5)
STORM_DAY = dt.date(1986, 2, 8)

#: Short days with quirks often enough to count.
QUIRKY = SimConfig(
    hours=3.0,
    calibration_cycles=2,
    paps_off_cycles=1,
    clipped_time_rate=0.004,
    l_fill_rate=0.004,
    duplicate_spin_rate=0.004,
    out_of_order_rate=0.004,
    rate_violation_rate=0.004,
    exact_copy_rate=0.004,
    tof_1019_rate=0.001,
    ssdid_invalid_rate=0.001,
    range3_rate=0.001,
)
TINY = SimConfig(hours=0.25)


@pytest.fixture(scope="module")
def day() -> SimDay:
    return sim_mod.simulate_day(QUIET_DAY, 1, QUIRKY)


def _events(sim: SimDay) -> dict[str, np.ndarray]:
    """Non-empty PHA events of a simulated day in file order, with their spin row."""
    words = sim.pha.reshape(sim.n_spins, EVENTS_PER_SPIN, 5).astype(np.int64)
    filled = words.any(axis=2)
    spin, _ = np.nonzero(filled)
    ev = words[filled]
    names = ("Energy", "TOF", "Sector", "SSDID", "Range")
    out = {name: ev[:, i] for i, name in enumerate(names)}
    out["spin"] = spin
    return out


def _converted(sim: SimDay, ev: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cycle = ev["spin"] // SPINS_PER_CYCLE
    return physics.convert_events(
        ev["Energy"], ev["TOF"], sim.vs[ev["spin"], 0], sim.paps[cycle].astype(np.int64)
    )


# ---------------------------------------------------------------------------------------
# Determinism, configuration, files
# ---------------------------------------------------------------------------------------


def test_deterministic_for_a_seed() -> None:
    a = sim_mod.simulate_day(QUIET_DAY, 3, TINY)
    b = sim_mod.simulate_day(QUIET_DAY, 3, TINY)
    c = sim_mod.simulate_day(QUIET_DAY, 4, TINY)
    for name in ("tt", "l_shell", "pha", "dr", "sbr", "me", "schk"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert not np.array_equal(a.pha, c.pha)


def test_day_alone_equals_day_in_range(tmp_path: Path) -> None:
    done: list[tuple[int, int]] = []
    ranged = sim_mod.simulate(
        QUIET_DAY,
        2,
        tmp_path / "range",
        seed=5,
        config=TINY,
        progress=lambda i, n, _p: done.append((i, n)),
    )
    alone = sim_mod.simulate(QUIET_DAY + dt.timedelta(days=1), 1, tmp_path / "alone", 5, TINY)
    assert [p.name for p in ranged] == ["1986_036.fits.gz", "1986_037.fits.gz"]
    assert done == [(1, 2), (2, 2)]
    assert ranged[1].read_bytes() == alone[0].read_bytes()
    assert sorted(p.name for p in (tmp_path / "range").iterdir()) == [p.name for p in ranged]


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="hours"):
        SimConfig(hours=0)
    with pytest.raises(SimulationError, match="paps_level"):
        SimConfig(paps_level=7)
    with pytest.raises(SimulationError, match="tof_1019_rate"):
        SimConfig(tof_1019_rate=0.5)
    with pytest.raises(SimulationError, match="datetime.date"):
        sim_mod.simulate_day("1986-02-05", 1, TINY)  # type: ignore[arg-type]
    with pytest.raises(SimulationError, match="1989"):
        sim_mod.simulate_day(dt.date(1995, 1, 1), 1, TINY)
    with pytest.raises(SimulationError, match="days"):
        sim_mod.simulate(QUIET_DAY, 0, tmp_path)


def test_layout_of_hdulist(day: SimDay) -> None:
    hdul = sim_mod.build_hdulist(day)
    assert len(hdul) == 1 + len(HDUS)
    header = hdul[0].header
    assert header["TELESCOP"] == "AMPTE/CCE"
    assert header["INSTRUME"] == "CHEM"
    assert header["DATE-OBS"] == "1986-02-05"
    for spec in HDUS:
        hdu = hdul[spec.index]
        assert isinstance(hdu, fits.BinTableHDU)
        assert hdu.header["EXTNAME"] == spec.name
        assert hdu.columns.names == list(spec.columns)
        rows = day.n_spins if spec.per == "spin" else day.n_cycles
        assert len(hdu.data) == rows
        for col in hdu.columns:
            tform, repeat = spec.columns[col.name]
            assert col.format == tform
            assert np.asarray(hdu.data[col.name]).reshape(rows, -1).shape[1] == repeat
    assert day.n_spins == SPINS_PER_CYCLE * day.n_cycles


def test_write_day_gzip_fits(tmp_path: Path) -> None:
    small = sim_mod.simulate_day(QUIET_DAY, 2, TINY)
    path = sim_mod.write_day(small, tmp_path / "out")
    assert path.name == "1986_036.fits.gz"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert path.stat().st_mode & 0o044 == 0o044  # readable by others, like the archive
    with gzip.open(path) as handle, fits.open(handle) as hdul:
        np.testing.assert_array_equal(hdul[4].data["TT"], small.tt)
        np.testing.assert_array_equal(hdul[3].data["ME"], small.me)


# ---------------------------------------------------------------------------------------
# Orbit, timing, housekeeping
# ---------------------------------------------------------------------------------------


def test_orbit_ranges_and_period() -> None:
    t0 = (dt.date(1986, 2, 5) - dt.date(1966, 1, 1)).days * 86400.0
    t = t0 + np.arange(0.0, 4 * 86400.0, 30.0)
    orb = sim_mod.orbit(t)
    assert 1.1 < orb["L"].min() < 1.35
    assert 8.5 < orb["L"].max() < 10.0
    assert orb["mlt"].min() >= 0.0
    assert orb["mlt"].max() < 24.0
    assert np.abs(np.degrees(orb["maglat"])).max() < 20.0
    np.testing.assert_allclose(orb["maglon"], orb["mlt"] * np.pi / 12)
    lmin = np.flatnonzero((orb["L"][1:-1] < orb["L"][:-2]) & (orb["L"][1:-1] <= orb["L"][2:])) + 1
    period_h = np.diff(t[lmin]) / 3600.0
    assert period_h.size >= 5
    assert np.median(period_h) == pytest.approx(15.66, abs=0.1)


def test_day_timing_orbit_and_housekeeping(day: SimDay) -> None:
    good = ~day.truth.spins["clipped"].to_numpy()
    steps = np.diff(day.tt[good & ~day.truth.spins["duplicate"].to_numpy()])
    assert np.median(steps) in (5.0, 6.0)
    assert np.all(day.tt == np.floor(day.tt))
    np.testing.assert_array_equal(day.st, np.sort(day.st))
    lvals = day.l_shell[day.l_shell >= 1]
    assert lvals.min() > 1.1
    assert lvals.max() < 10.0
    assert np.all((day.maglon >= 0) & (day.maglon < 2 * np.pi))
    vs = day.vs.reshape(day.n_cycles, SPINS_PER_CYCLE, 2)
    moved = day.truth.spins[["out_of_order", "copy"]].to_numpy().any(axis=1)
    ooo = moved.reshape(day.n_cycles, -1).any(axis=1)  # swapped rows or an exact copy
    np.testing.assert_array_equal(vs[~ooo, :, 1], np.tile(np.arange(32), ((~ooo).sum(), 1)))
    assert set(np.unique(day.vs[:, 0])) == set(range(64))
    assert set(np.unique(day.cshk)) - {0}
    assert (day.cshk != 0).sum() == 2
    assert set(day.phaphk) == {78}


def test_schk_matches_decoded_hk(day: SimDay) -> None:
    decoded = sim_mod.decode_schk(day.schk)
    np.testing.assert_array_equal(decoded["paps_lvl"], day.paps)
    np.testing.assert_array_equal(decoded["paps_on"], (day.paps >= 1) & (day.paps <= 6))
    np.testing.assert_array_equal(decoded["dpu_mode"], day.dpumhk)
    np.testing.assert_array_equal(decoded["tac_slope"], day.takhk)
    assert (decoded["paps_on"] == 0).sum() == 1


def test_kp_lookup_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    t = (dt.date(1986, 2, 9) - dt.date(1966, 1, 1)).days * 86400.0 + 3600.0
    assert sim_mod.kp_at(t)[()] == pytest.approx(8.667, abs=0.05)
    monkeypatch.setattr(intensity, "_kp_table", lambda: None)
    assert sim_mod.kp_at(np.array([t]), quiet_kp=2.0)[0] == 2.0


# ---------------------------------------------------------------------------------------
# Events, species, rates, ME
# ---------------------------------------------------------------------------------------


def test_pha_slots(day: SimDay) -> None:
    words = day.pha.reshape(day.n_spins, EVENTS_PER_SPIN, 5)
    filled = words.any(axis=2)
    n = filled.sum(axis=1)
    # events fill the first n slots, the rest is zero padding
    np.testing.assert_array_equal(filled, np.arange(EVENTS_PER_SPIN)[None, :] < n[:, None])
    assert n.max() == EVENTS_PER_SPIN
    ev = _events(day)
    assert len(ev["spin"]) == len(day.truth.events)
    flags = day.truth.events
    assert set(np.unique(ev["Range"][~flags["range3"].to_numpy()])) == {0, 1, 2}
    assert set(np.unique(ev["SSDID"][~flags["ssdid_invalid"].to_numpy()])) == {1, 2, 3}
    doubles = ev["Energy"] == 0
    np.testing.assert_array_equal(doubles, flags["double"].to_numpy())
    assert 0.2 < doubles.mean() < 0.6
    assert ev["TOF"].min() >= 1
    assert ev["TOF"].max() <= 1023


def test_species_convert_back_within_15_percent(day: SimDay) -> None:
    ev = _events(day)
    conv = _converted(day, ev)
    truth = day.truth.events
    clean = ~(truth["tof_1019"] | truth["ssdid_invalid"] | truth["range3"]).to_numpy()
    clean &= ~day.truth.spins["paps_off"].to_numpy()[ev["spin"]]
    for sp in physics.SPECIES:
        mine = clean & (truth["species"] == sp.name).to_numpy()
        triples = mine & (ev["Energy"] > 0)
        assert triples.sum() >= 20, sp.name
        assert np.median(conv["mass"][triples]) == pytest.approx(sp.mass, rel=0.15), sp.name
        assert np.median(conv["mpq"][triples]) == pytest.approx(sp.mpq, rel=0.15), sp.name
        doubles = mine & (ev["Energy"] == 0)
        if doubles.sum() >= 20:
            assert np.median(conv["mpq"][doubles]) == pytest.approx(sp.mpq, rel=0.15), sp.name


def _rate_ok(sim: SimDay) -> np.ndarray:
    ev = _events(sim)
    r = np.stack(
        [np.bincount(ev["spin"][ev["Range"] == k], minlength=sim.n_spins) for k in range(3)], 1
    )
    br = sim.sbr.reshape(sim.n_spins, 3, 32).sum(axis=2)
    fsr, dcr, tcr, ssd = sim.dr.T
    ok = (r <= br).all(axis=1) & (br.sum(axis=1) <= dcr) & (br[:, 2] <= tcr)
    assert np.all(tcr <= ssd)
    assert np.all(dcr <= fsr)
    return ok


def test_rate_relations(day: SimDay) -> None:
    ok = _rate_ok(day)
    injected = day.truth.spins["rate_violation"].to_numpy()
    assert injected.sum() == day.truth.quirks["rate_violations"] > 0
    np.testing.assert_array_equal(ok, ~injected)


def test_me_counts_cover_pha(day: SimDay) -> None:
    ev = _events(day)
    conv = _converted(day, ev)
    truth = day.truth.events
    clean = ~(truth["tof_1019"] | truth["ssdid_invalid"] | truth["range3"]).to_numpy()
    clean &= ~day.truth.spins["copy"].to_numpy()[ev["spin"]]  # a copy repeats counted ions
    box = me_boxes.me_box_of(conv["mass"], conv["mpq"])
    keep = clean & (box >= 0)
    cycle = ev["spin"][keep] // SPINS_PER_CYCLE
    pha_counts = np.zeros_like(day.me)
    np.add.at(pha_counts, (cycle, box[keep]), 1)
    assert np.all(day.me >= pha_counts)
    assert np.all(day.me[:, N_ME_BOXES:] == 0)
    assert day.me.sum() > len(ev["spin"])  # ME counts every ion, PHA only a sample
    # H+ lands in box 55 (M 1, M/Q 1): the busiest science box
    assert day.me[:, 55].sum() > 0


def test_quirk_counts_match_truth(day: SimDay) -> None:
    q = day.truth.quirks
    ev = _events(day)
    clipped = (day.tt <= 0) | (day.tt >= CLIP_HIGH_SECONDS)
    assert clipped.sum() == q["clipped_times"] > 0
    assert (day.l_shell < 1).sum() == q["l_fill"] > 0
    assert (ev["TOF"] == 1019).sum() == q["tof_1019"] > 0
    assert (~np.isin(ev["SSDID"], [1, 2, 3])).sum() == q["ssdid_invalid"] > 0
    assert (ev["Range"] == 3).sum() == q["range3"] > 0
    assert (day.cshk != 0).sum() == q["calibration_cycles"]
    assert (~np.isin(day.paps, range(1, 7))).sum() == q["invalid_paps"] == 1
    copy = day.truth.spins["copy"].to_numpy()
    assert copy.sum() == q["exact_copies"] > 0
    t = day.tt[~clipped & ~copy]
    assert len(t) - len(np.unique(t)) == q["duplicate_spins"] > 0
    unique_rows = t[np.r_[True, np.diff(t) != 0]]
    backwards = (unique_rows[1:] < np.maximum.accumulate(unique_rows)[:-1]).sum()
    assert backwards == q["out_of_order_spins"] > 0
    assert len(ev["spin"]) == q["n_events"]


def test_storm_day_has_more_oxygen() -> None:
    cfg = SimConfig(hours=3.0)
    fractions = []
    for d in (QUIET_DAY, STORM_DAY):
        sim = sim_mod.simulate_day(d, 1, cfg)
        ev = _events(sim)
        conv = _converted(sim, ev)
        heavy = (conv["mass"] > 12) & (conv["mass"] < 20) & (conv["mpq"] > 12) & (conv["mpq"] < 20)
        fractions.append(heavy.sum() / (ev["Energy"] > 0).sum())
        assert sim.truth.spins["kp"].mean() > (5 if d == STORM_DAY else 0)
    quiet, storm = fractions
    assert storm > 2.5 * quiet


# ---------------------------------------------------------------------------------------
# Round trip through the reader
# ---------------------------------------------------------------------------------------


def test_round_trip_through_reader(day: SimDay, tmp_path: Path) -> None:
    from data_build.fits import read_day

    path = sim_mod.write_day(day, tmp_path)
    data = read_day(path)
    got = data.quirks.as_dict()
    for name, value in day.truth.quirks.items():
        assert got[name] == value, name
    truth = day.truth.events
    np.testing.assert_array_equal(data.events["spin"].to_numpy(), truth["spin"].to_numpy())
    ev = _events(day)
    for word in ("Energy", "TOF", "Sector", "SSDID", "Range"):
        np.testing.assert_array_equal(data.events[word].to_numpy(), ev[word], err_msg=word)
    spins = day.truth.spins
    np.testing.assert_array_equal(data.spins["rate_ok"].to_numpy(), ~spins["rate_violation"])
    # Only exact copies are dropped; every clipped or repeated time is rebuilt, none excluded.
    np.testing.assert_array_equal(data.spins["duplicate"].to_numpy(), spins["copy"])
    assert not data.spins["clipped"].any()
    rebuilt = (spins["clipped"] | spins["duplicate"]).to_numpy()
    np.testing.assert_array_equal(data.spins["time_rebuilt"].to_numpy(), rebuilt)
    np.testing.assert_array_equal(data.spins["out_of_order"].to_numpy(), spins["out_of_order"])
    np.testing.assert_array_equal(np.isnan(data.spins["L"].to_numpy()), spins["l_fill"])
    np.testing.assert_array_equal(data.me, day.me)
    np.testing.assert_array_equal(data.cycles["PAPS_lvl"].to_numpy(), day.paps)
    np.testing.assert_allclose(data.cycles["MLTH"], np.mod(day.maglon * 12 / np.pi, 24), atol=1e-4)


# ---------------------------------------------------------------------------------------
# A full day (its speed is measured by bench/bench_build.py, not here)
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_full_day(tmp_path: Path) -> None:
    sim = sim_mod.simulate_day(QUIET_DAY, 1)
    path = sim_mod.write_day(sim, tmp_path)
    n_events = len(sim.truth.events)
    assert sim.n_spins > 15000
    assert 600_000 < n_events < 800_000
    assert path.stat().st_size > 1_000_000


def test_no_distinct_spin_is_lost_and_rebuilt_times_fall_in_their_cycle(
    day: SimDay, tmp_path: Path
) -> None:
    from data_build.fits import read_day

    data = read_day(sim_mod.write_day(day, tmp_path))
    spins = data.spins
    truth = day.truth.spins
    kept = ~(spins["clipped"] | spins["duplicate"]).to_numpy()
    # every distinct spin kept: all rows but the exact copies
    assert kept.sum() == day.n_spins - truth["copy"].sum()
    rebuilt = spins["time_rebuilt"].to_numpy()
    assert rebuilt.sum() == day.truth.quirks["times_rebuilt"] > 0
    tt = spins["TT"].to_numpy()
    # each row's time is its data's true time (rebuilt ones within the 1 s of flooring)
    assert np.abs(tt[kept] - truth["time"].to_numpy()[kept]).max() <= 1
    cycle = np.arange(day.n_spins) // 32
    st = day.st.astype(np.int64)
    next_st = np.r_[st[1:], st[-1] + 32 * 6]
    assert (tt[rebuilt] >= st[cycle[rebuilt]]).all()
    assert (tt[rebuilt] < next_st[cycle[rebuilt]]).all()
    # no two kept spins share (time, data): nothing counted twice
    keys = pd.DataFrame({"t": tt[kept], "k": spins["data_key"].to_numpy()[kept]})
    assert not keys.duplicated().any()
