"""One simulated UT day: :func:`simulate_day` and what it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem import me_boxes, physics
from awa.chem.schema import (
    EVENTS_PER_SPIN,
    L_FILL,
    N_ME,
    SPINS_PER_CYCLE,
    WORDS_PER_EVENT,
)
from data_build.simulate.config import (
    _EPOCH_DATE,
    _SECONDS_PER_DAY,
    CALIBRATION,
    PAPS_OFF_LEVEL,
    SPECIES_NAMES,
    FloatArray,
    IntArray,
    SimConfig,
    SimulationError,
)
from data_build.simulate.instrument import (
    _calibration_ions,
    _concat,
    _encode_schk,
    _Ions,
    _pick,
    _ranges,
    _rates,
    _science_ions,
    _select_pha,
)
from data_build.simulate.intensity import (
    _COMPOSITION,
    _KP_GROWTH,
    _spatial,
    _spatial_norm,
    _spectra,
    kp_at,
)
from data_build.simulate.orbit import orbit
from data_build.simulate.quirks import (
    EventQuirks,
    copy_rows,
    event_quirks,
    rate_violations,
    time_quirks,
)

__all__ = ["SimDay", "SimTruth", "simulate_day"]


@dataclass
class SimTruth:
    """What was simulated, for tests and benchmarks.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per PHA event in file order (spin row, slot): ``spin``, ``slot``, ``species``
        (name, or "calibration"), ``mass`` (amu), ``charge`` (e), ``double`` (bool), and the
        quirk flags ``tof_1019``, ``ssdid_invalid``, ``range3``.
    spins : pandas.DataFrame
        One row per spin row: ``time`` (the true whole-second start of the spin whose data
        the row holds, s since 1966), ``copy`` (an exact copy of the row before),
        ``clipped``, ``l_fill``, ``duplicate``, ``out_of_order``,
        ``rate_violation``, ``calibration``, ``paps_off``, ``kp``, ``n_ions`` (ions reaching
        the analyser), ``n_generated`` (of those, simulated one by one).
    quirks : dict
        Injected quirk counts, keyed like ``data_build.fits.Quirks``.
    ions_by_species : dict
        Ions simulated one by one per species over the day (before PHA selection).
    """

    events: pd.DataFrame
    spins: pd.DataFrame
    quirks: dict[str, int]
    ions_by_species: dict[str, int]


@dataclass
class SimDay:
    """One simulated day, ready to write (arrays in the dtypes of the layout's TFORMs)."""

    day: dt.date
    seed: int
    config: SimConfig
    # HDU 1 (per cycle)
    st: FloatArray
    maglat: npt.NDArray[np.float32]
    maglon: npt.NDArray[np.float32]
    # HDU 2 (per cycle)
    cshk: npt.NDArray[np.int16]
    dpumhk: npt.NDArray[np.int16]
    takhk: npt.NDArray[np.int16]
    phaphk: npt.NDArray[np.int16]
    paps: npt.NDArray[np.int16]
    schk: npt.NDArray[np.uint8]
    # HDU 3 (per cycle)
    me: npt.NDArray[np.int32]
    # HDU 4 (per spin)
    tt: FloatArray
    l_shell: npt.NDArray[np.float32]
    vs: npt.NDArray[np.int16]
    pha: npt.NDArray[np.int16]
    dr: npt.NDArray[np.int32]
    sbr: npt.NDArray[np.int32]
    truth: SimTruth = field(repr=False)

    @property
    def n_cycles(self) -> int:
        return int(self.st.size)

    @property
    def n_spins(self) -> int:
        return int(self.tt.size)


def _day_rng(seed: int, day: dt.date) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), day.toordinal()]))


@dataclass
class _Timing:
    """Spin and cycle times of the day, the orbit at them and the sweep."""

    n_cycles: int
    n_spins: int
    cycle_of: IntArray  # cycle of each spin
    k_in_cycle: IntArray  # period counter 0-31 of each spin
    tt: FloatArray  # whole-second spin start times, s since 1966
    st: FloatArray  # whole-second cycle start times
    step: IntArray  # voltage step of each spin
    orb_spin: dict[str, FloatArray]
    orb_cycle: dict[str, FloatArray]
    kp: FloatArray  # Kp at each spin


def _timing(rng: np.random.Generator, day: dt.date, cfg: SimConfig) -> _Timing:
    """Cycles of 32 spins from 00:00 UT (+ a few seconds); cycle c sweeps steps 2k + c % 2."""
    day_start = float((day - _EPOCH_DATE).days * _SECONDS_PER_DAY)
    offset = float(rng.uniform(0.0, 3.0))
    cycle_len = SPINS_PER_CYCLE * cfg.spin_period_s
    n_cycles = max(1, int((cfg.hours * 3600.0 - offset) // cycle_len))
    n_spins = n_cycles * SPINS_PER_CYCLE
    cycle_of = np.arange(n_spins) // SPINS_PER_CYCLE
    k_in_cycle = np.arange(n_spins) % SPINS_PER_CYCLE
    spin_exact = day_start + offset + np.arange(n_spins) * cfg.spin_period_s
    tt = np.floor(spin_exact)
    st = tt[::SPINS_PER_CYCLE].copy()
    return _Timing(
        n_cycles=n_cycles,
        n_spins=n_spins,
        cycle_of=cycle_of,
        k_in_cycle=k_in_cycle,
        tt=tt,
        st=st,
        step=(2 * k_in_cycle + cycle_of % 2).astype(np.int64),
        orb_spin=orbit(spin_exact),
        orb_cycle=orbit(st),
        kp=kp_at(spin_exact, cfg.quiet_kp),
    )


@dataclass
class _Housekeeping:
    """Per-cycle housekeeping: calibration cycles, PAPS levels, DPU mode, TAC slope, SCHK."""

    cal_cycles: IntArray
    cshk: IntArray
    off_cycles: IntArray
    paps: IntArray
    dpu: IntArray
    tac: IntArray
    schk: npt.NDArray[np.uint8]
    paps_kv: FloatArray  # post-acceleration voltage per cycle, kV (0 when off)


def _housekeeping(rng: np.random.Generator, cfg: SimConfig, n_cycles: int) -> _Housekeeping:
    cycles = np.arange(n_cycles)
    cal_cycles = np.sort(
        rng.choice(cycles, size=min(cfg.calibration_cycles, n_cycles), replace=False)
    )
    cshk = np.zeros(n_cycles, dtype=np.int64)
    cshk[cal_cycles] = rng.integers(1, 4, size=cal_cycles.size)
    science = cycles[cshk == 0]
    off_cycles = np.sort(
        rng.choice(science, size=min(cfg.paps_off_cycles, science.size), replace=False)
    )
    paps = np.full(n_cycles, cfg.paps_level, dtype=np.int64)
    paps[off_cycles] = PAPS_OFF_LEVEL
    dpu = np.zeros(n_cycles, dtype=np.int64)
    tac = np.zeros(n_cycles, dtype=np.int64)
    schk = _encode_schk(rng, paps, dpu, tac)
    paps_kv = np.nan_to_num(physics.paps_kv(paps), nan=0.0)
    return _Housekeeping(cal_cycles, cshk, off_cycles, paps, dpu, tac, schk, paps_kv)


@dataclass
class _Arrivals:
    """Ions reaching the analyser: those simulated one by one and the weight of each spin."""

    ions: _Ions
    is_cal_spin: npt.NDArray[np.bool_]
    ions_total: IntArray  # ions reaching the analyser per spin
    gen_per_spin: IntArray  # of those, simulated one by one
    weight: FloatArray  # ions reaching / ions simulated, per spin (>= 1)


def _arrivals(
    rng: np.random.Generator, cfg: SimConfig, timing: _Timing, hk: _Housekeeping
) -> _Arrivals:
    """Science ions from the intensity model plus calibration stimuli (spec section 5)."""
    step, kp = timing.step, timing.kp
    spectra = _spectra()
    spatial = _spatial(timing.orb_spin["L"], timing.orb_spin["mlt"], kp) / _spatial_norm()
    lam = np.empty((timing.n_spins, len(physics.SPECIES)))
    for i, sp in enumerate(physics.SPECIES):
        growth = np.exp(cfg.storm_scaling * _KP_GROWTH[sp.name] * (kp - 2.0))
        lam[:, i] = (
            cfg.mean_events_per_spin * _COMPOSITION[sp.name] * growth * spatial * spectra[i, step]
        )
    is_cal_spin = hk.cshk[timing.cycle_of] != 0
    lam[is_cal_spin] = 0.0
    n_ions = rng.poisson(lam)
    ions_total = n_ions.sum(axis=1)
    # thin spins above max_ions_per_spin; their rates and ME are scaled back up
    keep_frac = np.minimum(1.0, cfg.max_ions_per_spin / np.maximum(ions_total, 1))
    n_gen = rng.binomial(n_ions, keep_frac[:, None])
    ions = _science_ions(rng, cfg, n_gen, step, hk.paps_kv[timing.cycle_of])
    ions = _concat(ions, _calibration_ions(rng, cfg, np.flatnonzero(is_cal_spin)))
    gen_per_spin = np.bincount(ions.spin, minlength=timing.n_spins)
    weight = np.where(
        gen_per_spin > 0,
        np.maximum(1.0, n_ions.sum(axis=1) / np.maximum(n_gen.sum(axis=1), 1)),
        1.0,
    )
    return _Arrivals(ions, is_cal_spin, ions_total, gen_per_spin, weight)


def _me_counts(
    timing: _Timing, ions: _Ions, box: IntArray, weight: FloatArray
) -> npt.NDArray[np.int32]:
    """Matrix-element counts per cycle (cycles, 512): every ion by box, weighted (spec 6)."""
    inbox = box >= 0
    me_key = timing.cycle_of[ions.spin[inbox]] * N_ME + box[inbox]
    w_ion = weight[ions.spin]
    me = np.rint(np.bincount(me_key, weights=w_ion[inbox], minlength=timing.n_cycles * N_ME))
    return me.reshape(timing.n_cycles, N_ME).astype(np.int32)


@dataclass
class _Events:
    """PHA events in telemetry order: ion index, spin, slot and the five words."""

    chosen: IntArray
    spin: IntArray
    slot: IntArray
    words: IntArray  # (events, 5): Energy, TOF, Sector, SSDID, Range


def _pha_events(rng: np.random.Generator, ions: _Ions, rng_code: IntArray, n_spins: int) -> _Events:
    """At most 86 PHA events per spin, highest range first."""
    chosen = _select_pha(rng, ions.spin, rng_code, n_spins)
    ev_spin = ions.spin[chosen]
    ev_slot = np.arange(chosen.size) - np.searchsorted(ev_spin, ev_spin)
    words = np.stack(
        [
            ions.energy_ch[chosen],
            ions.tof_ch[chosen],
            ions.sector[chosen],
            ions.ssdid[chosen],
            rng_code[chosen],
        ],
        axis=1,
    )
    return _Events(chosen, ev_spin, ev_slot, words)


def _rows(n: int, where: IntArray) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[where] = True
    return mask


def _check_request(day: dt.date, seed: int, config: SimConfig | None) -> SimConfig:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise SimulationError(f"day must be a datetime.date, got {type(day).__name__}")
    if not dt.date(1966, 1, 2) <= day <= dt.date(1989, 12, 31):
        raise SimulationError(f"day must be within 1966-01-02 .. 1989-12-31, got {day}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed!r}")
    cfg = config if config is not None else SimConfig()
    if not isinstance(cfg, SimConfig):
        raise SimulationError(f"config must be a SimConfig, got {type(cfg).__name__}")
    return cfg


def simulate_day(day: dt.date, seed: int = 1, config: SimConfig | None = None) -> SimDay:
    """Simulate one UT day of CHEM data (spec sections 2, 5 and 6).

    Parameters
    ----------
    day : datetime.date
        The UT day (1966-1989).
    seed : int
        Base seed; the day's stream is derived from (seed, day).
    config : SimConfig, optional
        Rates and sizes; defaults to ``SimConfig()``.

    Returns
    -------
    SimDay
        Arrays for the four extensions and the :class:`SimTruth`.

    Raises
    ------
    SimulationError
        ``day`` is not a date in 1966-1989, or ``seed`` is not a non-negative integer.
    """
    cfg = _check_request(day, seed, config)
    # The order of the steps is the order of the draws from the day's random stream.
    rng = _day_rng(int(seed), day)
    timing = _timing(rng, day, cfg)
    n_spins, n_cycles, cycle_of = timing.n_spins, timing.n_cycles, timing.cycle_of
    hk = _housekeeping(rng, cfg, n_cycles)
    arrivals = _arrivals(rng, cfg, timing, hk)
    ions = arrivals.ions

    # on-board classification, rates and matrix elements
    conv = physics.convert_events(
        ions.energy_ch, ions.tof_ch, timing.step[ions.spin], hk.paps[cycle_of][ions.spin]
    )
    rng_code = _ranges(conv["mass"], ions.energy_ch)
    box = me_boxes.me_box_of(conv["mass"], conv["mpq"])
    sbr, br, dr = _rates(rng, ions, rng_code, arrivals.weight)
    me = _me_counts(timing, ions, box, arrivals.weight)

    events = _pha_events(rng, ions, rng_code, n_spins)
    ev_quirks = event_quirks(rng, cfg, events.words)
    viol = rate_violations(rng, cfg, br, dr)
    l_shell = timing.orb_spin["L"].astype(np.float32)
    l_fill = _pick(rng, n_spins, cfg.l_fill_rate, np.arange(n_spins))
    l_shell[l_fill] = L_FILL
    tt = timing.tt.copy()
    tq = time_quirks(rng, cfg, tt)

    # apply the permutation to every per-spin array (file row r holds simulated spin perm[r])
    perm = tq.perm
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(n_spins)
    vs = np.stack([timing.step, timing.k_in_cycle], axis=1)
    tt, l_shell, vs, dr, sbr = tt[perm], l_shell[perm], vs[perm], dr[perm], sbr[perm]
    ev_row = inverse[events.spin]
    ev_order = np.lexsort((events.slot, ev_row))
    ev_row, ev_slot, words = ev_row[ev_order], events.slot[ev_order], events.words[ev_order]
    pha = np.zeros((n_spins, EVENTS_PER_SPIN, WORDS_PER_EVENT), dtype=np.int16)
    pha[ev_row, ev_slot] = words.astype(np.int16)

    # after the swap, the row that holds the earlier spin is the one found out of order
    out_of_order = _rows(n_spins, tq.ooo_rows + 1)
    spins_truth = pd.DataFrame(
        {
            "time": timing.tt[perm].astype(np.int64),
            "copy": np.zeros(n_spins, dtype=bool),
            "clipped": _rows(n_spins, tq.clip_rows)[perm],
            "l_fill": _rows(n_spins, l_fill)[perm],
            "duplicate": _rows(n_spins, tq.dup_rows)[perm],
            "out_of_order": out_of_order,
            "rate_violation": _rows(n_spins, viol)[perm],
            "calibration": arrivals.is_cal_spin[perm],
            "paps_off": (hk.paps[cycle_of] == PAPS_OFF_LEVEL)[perm],
            "kp": timing.kp[perm],
            "n_ions": arrivals.ions_total[perm],
            "n_generated": arrivals.gen_per_spin[perm],
        }
    )
    quirks = {
        "n_spins": n_spins,
        "n_cycles": n_cycles,
        "n_events": int(events.chosen.size),
        "clipped_times": int(tq.clip_rows.size),
        "l_fill": int(l_fill.size),
        "duplicate_spins": int(tq.dup_rows.size),
        "out_of_order_spins": int(tq.ooo_rows.size),
        "calibration_cycles": int(hk.cal_cycles.size),
        "rate_violations": int(viol.size),
        "tof_1019": int(ev_quirks.tof_1019.size),
        "ssdid_invalid": int(ev_quirks.ssdid_invalid.size),
        "range3": int(ev_quirks.range3.size),
        "invalid_paps": int(hk.off_cycles.size),
    }
    truth = SimTruth(
        events=_events_truth(ions, events, ev_quirks, ev_order, ev_row, ev_slot, words),
        spins=spins_truth,
        quirks=quirks,
        ions_by_species=_ions_by_species(ions),
    )
    # Last draw of the day's stream, so that the other quirks do not depend on it.
    quirky = spins_truth[["clipped", "duplicate", "out_of_order", "l_fill", "rate_violation"]]
    quirky_rows = np.asarray(quirky.to_numpy().any(axis=1), dtype=bool)
    quirky_rows[tq.ooo_rows] = True  # both rows of a swapped pair
    copies = copy_rows(rng, cfg, n_spins, quirky_rows)
    for arr in (tt, l_shell, vs, dr, sbr, pha):
        arr[copies] = arr[copies - 1]
    _copy_truth(truth, copies)
    return SimDay(
        day=day,
        seed=int(seed),
        config=cfg,
        st=timing.st,
        maglat=timing.orb_cycle["maglat"].astype(np.float32),
        maglon=timing.orb_cycle["maglon"].astype(np.float32),
        cshk=hk.cshk.astype(np.int16),
        dpumhk=hk.dpu.astype(np.int16),
        takhk=hk.tac.astype(np.int16),
        phaphk=np.full(n_cycles, ord("N"), dtype=np.int16),
        paps=hk.paps.astype(np.int16),
        schk=hk.schk,
        me=me,
        tt=tt.astype(np.float64),
        l_shell=l_shell,
        vs=vs.astype(np.int16),
        pha=pha.reshape(n_spins, EVENTS_PER_SPIN * WORDS_PER_EVENT),
        dr=dr.astype(np.int32),
        sbr=sbr.astype(np.int32),
        truth=truth,
    )


_TRUTH_NAMES = np.array([*SPECIES_NAMES, CALIBRATION])


def _copy_truth(truth: SimTruth, copies: IntArray) -> None:
    """Rows ``copies`` now repeat the row before them exactly: say so in ``truth``."""
    spins = truth.spins
    if copies.size:
        for col in spins.columns:
            values = spins[col].to_numpy().copy()
            values[copies] = values[copies - 1]
            spins[col] = values
    spins.loc[copies, "copy"] = True
    ev = truth.events
    spin = ev["spin"].to_numpy()
    copied = ev[np.isin(spin, copies - 1)].copy()
    copied["spin"] = copied["spin"] + 1
    ev = pd.concat([ev[~np.isin(spin, copies)], copied], ignore_index=True)
    truth.events = ev.sort_values(["spin", "slot"], kind="stable", ignore_index=True)
    q = truth.quirks
    q["n_events"] = len(truth.events)
    for name in ("tof_1019", "ssdid_invalid", "range3"):
        q[name] = int(truth.events[name].sum())
    q["exact_copies"] = int(copies.size)
    q["times_rebuilt"] = int(spins["clipped"].sum() + spins["duplicate"].sum())


def _events_truth(
    ions: _Ions,
    events: _Events,
    ev_quirks: EventQuirks,
    ev_order: IntArray,
    ev_row: IntArray,
    ev_slot: IntArray,
    words: IntArray,
) -> pd.DataFrame:
    """Truth of each PHA event in file order (``ev_order``: telemetry -> file order)."""
    n_ev = ev_order.size
    ev_index = np.argsort(ev_order)  # old event position -> new position
    flags = {
        name: _rows(n_ev, ev_index[getattr(ev_quirks, name)])
        for name in ("tof_1019", "ssdid_invalid", "range3")
    }
    sp_idx = ions.species[events.chosen[ev_order]]
    masses = np.array([*(s.mass for s in physics.SPECIES), 0.0])
    charges = np.array([*(s.charge for s in physics.SPECIES), 0])
    return pd.DataFrame(
        {
            "spin": ev_row.astype(np.int32),
            "slot": ev_slot.astype(np.int16),
            "species": pd.Categorical(_TRUTH_NAMES[sp_idx], categories=list(_TRUTH_NAMES)),
            "mass": masses[sp_idx],
            "charge": charges[sp_idx].astype(np.int8),
            "double": words[:, 0] == 0,
            **flags,
        }
    )


def _ions_by_species(ions: _Ions) -> dict[str, int]:
    gen_species = np.bincount(ions.species, minlength=len(_TRUTH_NAMES))
    return {str(k): int(v) for k, v in zip(_TRUTH_NAMES, gen_species, strict=True)}
