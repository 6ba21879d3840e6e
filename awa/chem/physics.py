"""Channel to physical units, mass and mass-per-charge of CHEM events, and the ME grid.

Everything here is vectorised NumPy: arrays in, ``float64`` arrays out, no Python loop per
event.  The formulas are those of the standard analysis (spec section 4); the inverse of the
mass fit serves the simulator's forward model (spec section 5); the matrix-element box grid
is spec section 6.

Units: residual energy ``E`` in keV, time of flight ``T`` in ns, mass in amu, mass per
charge in amu/e, energy per charge in keV/e, post-acceleration voltage in kV, energy per
nucleon in keV/amu, dE/dx in keV per (ug/cm^2) of carbon.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem.schema import CHANNEL_MAX, ENERGY_FULL_SCALE_KEV, PAPS_KV, TOF_FULL_SCALE_NS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = npt.ArrayLike

# ---------------------------------------------------------------------------------------
# Constants (spec section 4)
# ---------------------------------------------------------------------------------------

#: Channel scales (spec section 4): E (keV) = channel * E_KEV_PER_CHANNEL and
#: T (ns) = channel * T_NS_PER_CHANNEL (full scales and CHANNEL_MAX: awa.chem.schema).
E_KEV_PER_CHANNEL = ENERGY_FULL_SCALE_KEV / CHANNEL_MAX
T_NS_PER_CHANNEL = TOF_FULL_SCALE_NS / CHANNEL_MAX
#: Mass-fit coefficients a1..a6 (spec section 4).
MASS_FIT = (-0.0148377, -0.423249, -1.63108, 0.306567, 0.0379776, 0.0592979)
#: The mass fit is valid only above this residual energy (keV).
MASS_FIT_MIN_E_KEV = 20.0
#: T (ns) = TOF_CONSTANT / sqrt(energy per nucleon in keV/amu) (flight path constant).
TOF_CONSTANT = 239.89
#: Carbon foil thickness (ug/cm^2).
FOIL_UG_CM2 = 4.9
#: Offset (kV) in the no-energy mass estimate MPQ1 of step 2.
MPQ1_OFFSET_KV = 4.0
#: Masses (amu) assumed for events without energy (step 2) and for oxygen (step 5).
MASS_H = 1.0
MASS_HE = 3.97
MASS_C = 11.92
MASS_O = 15.87
#: Iteration control of step 3.
EPN_MAX_ITER = 10
EPN_TOLERANCE = 0.01



@dataclass(frozen=True)
class Species:
    """A reference ion species: name, mass (amu, as in ``cfoil_dedx.csv``) and charge (e)."""

    name: str
    mass: float
    charge: int

    @property
    def mpq(self) -> float:
        """Mass per charge (amu/e)."""
        return self.mass / self.charge


#: Reference species (masses as in the dE/dx table) for reference marks and the simulator.
SPECIES: tuple[Species, ...] = (
    Species("H+", MASS_H, 1),
    Species("He++", MASS_HE, 2),
    Species("He+", MASS_HE, 1),
    Species("O+", MASS_O, 1),
    Species("O++", MASS_O, 2),
    Species("O6+", MASS_O, 6),
    Species("C6+", MASS_C, 6),
)


def species_frame() -> pd.DataFrame:
    """``SPECIES`` as a DataFrame with columns name, mass (amu), charge (e), mpq (amu/e)."""
    return pd.DataFrame(
        {
            "name": [s.name for s in SPECIES],
            "mass": [s.mass for s in SPECIES],
            "charge": [s.charge for s in SPECIES],
            "mpq": [s.mpq for s in SPECIES],
        }
    )


# ---------------------------------------------------------------------------------------
# Tables shipped with the package
# ---------------------------------------------------------------------------------------


def read_table(name: str) -> pd.DataFrame:
    with resources.files("awa.chem").joinpath("tables", name).open("r") as handle:
        return pd.read_csv(handle)


@cache
def _epq_table() -> FloatArray:
    table = read_table("epq_steps.csv")
    steps = table["voltage_step"].to_numpy(dtype=np.int64)
    if not np.array_equal(steps, np.arange(len(steps))):
        raise ValueError("epq_steps.csv: voltage_step must be 0, 1, 2, ... in order")
    return table["epq_revised_kev_per_e"].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class _DedxTable:
    log_energy: FloatArray  # ln(keV/amu), shape (n_e,)
    masses: FloatArray  # amu, shape (n_m,)
    dedx: FloatArray  # keV per ug/cm^2, shape (n_e, n_m)


@cache
def _dedx_table() -> _DedxTable:
    table = read_table("cfoil_dedx.csv")
    energy = table.iloc[:, 0].to_numpy(dtype=np.float64)
    masses = np.array([float(col.rsplit("_m", 1)[1]) for col in table.columns[1:]])
    values = table.iloc[:, 1:].to_numpy(dtype=np.float64)
    if np.any(np.diff(energy) <= 0) or np.any(np.diff(masses) <= 0) or np.any(values <= 0):
        raise ValueError("cfoil_dedx.csv: energies and masses must increase, dE/dx be > 0")
    return _DedxTable(np.log(energy), masses, values)


def as_float(values: ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


# ---------------------------------------------------------------------------------------
# Linear conversions (spec sections 2 and 4)
# ---------------------------------------------------------------------------------------


def energy_kev(energy_ch: ArrayLike) -> FloatArray:
    """Residual SSD energy from the PHA energy channel (spec section 4).

    Parameters
    ----------
    energy_ch : array_like
        Energy channel, 0-1023.

    Returns
    -------
    numpy.ndarray
        E in keV: ``channel * E_KEV_PER_CHANNEL`` (1500 keV at channel 1023).
    """
    return as_float(energy_ch, "energy_ch") * E_KEV_PER_CHANNEL


def tof_ns(tof_ch: ArrayLike) -> FloatArray:
    """Time of flight from the PHA TOF channel (spec section 4).

    Parameters
    ----------
    tof_ch : array_like
        TOF channel, 0-1023.

    Returns
    -------
    numpy.ndarray
        T in ns: ``channel * T_NS_PER_CHANNEL`` (320 ns at channel 1023).
    """
    return as_float(tof_ch, "tof_ch") * T_NS_PER_CHANNEL


def epq_kev(voltage_step: ArrayLike) -> FloatArray:
    """Energy per charge selected by a deflection-voltage step (spec section 4, step 1).

    Parameters
    ----------
    voltage_step : array_like of int
        Voltage step 0-63 (``VS[0]``).

    Returns
    -------
    numpy.ndarray
        E/Q in keV/e from the revised column of ``epq_steps.csv``; NaN for steps outside
        0-63 or not whole numbers.
    """
    table = _epq_table()
    steps = as_float(voltage_step, "voltage_step")
    valid = np.isfinite(steps) & (steps >= 0) & (steps < len(table)) & (steps == np.round(steps))
    index = np.where(valid, steps, 0).astype(np.int64)
    return np.where(valid, table[index], np.nan)


def paps_kv(paps_lvl: ArrayLike) -> FloatArray:
    """Post-acceleration voltage of a PAPS level code (spec section 2).

    Parameters
    ----------
    paps_lvl : array_like of int
        PAPS level code (HK ``PAPS``).

    Returns
    -------
    numpy.ndarray
        P in kV for levels 1-6 (14.0, 15.3, 17.0, 18.8, 21.9, 24.1); NaN for any other
        level (-1, 0, 7, 8 mean off or unknown).
    """
    levels = as_float(paps_lvl, "paps_lvl")
    lookup = np.full(len(PAPS_KV) + 1, np.nan)
    for level, kv in PAPS_KV.items():
        lookup[level] = kv
    valid = np.isfinite(levels) & (levels >= 1) & (levels <= len(PAPS_KV))
    valid &= levels == np.round(levels)
    index = np.where(valid, levels, 0).astype(np.int64)
    return np.where(valid, lookup[index], np.nan)


# ---------------------------------------------------------------------------------------
# dE/dx in the carbon foil
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MassWeights:
    """Bracketing dE/dx columns of each mass: lower column index and linear weight.

    The weight is outside [0, 1] above the last column (linear extrapolation in mass).
    """

    column: IntArray
    weight: FloatArray


#: Lowest mass (amu) and energy per nucleon (keV/amu) the dE/dx look-up accepts; smaller
#: inputs are raised to these (spec section 4, the reference routine CFOIL).
DEDX_MIN_MASS = 1.0
DEDX_MIN_EPN = 1e-5


def _mass_weights(mass: FloatArray) -> _MassWeights:
    """Columns bracketing each mass: the exact column, or the two around it (the last two
    above the table, extrapolated linearly); masses below 1 amu are taken as 1 amu."""
    masses = _dedx_table().masses
    m = np.maximum(mass, DEDX_MIN_MASS)
    column = np.clip(np.searchsorted(masses, m, side="right") - 1, 0, len(masses) - 2)
    weight = (m - masses[column]) / (masses[column + 1] - masses[column])
    return _MassWeights(column.astype(np.int64), weight)


def _dedx_weighted(epn_kev: FloatArray, weights: _MassWeights) -> FloatArray:
    """dE/dx: linear in mass at the two bracketing table energies, then log-log in energy.

    Above the last row (or below the first) the two outermost rows are extrapolated
    log-log; an energy equal to a row's uses that row alone.
    """
    table = _dedx_table()
    log_e = np.log(np.maximum(epn_kev, DEDX_MIN_EPN))
    n_rows = len(table.log_energy)
    row = np.clip(np.searchsorted(table.log_energy, log_e, side="right") - 1, 0, n_rows - 2)
    frac = (log_e - table.log_energy[row]) / (table.log_energy[row + 1] - table.log_energy[row])
    col, w = weights.column, weights.weight
    values = table.dedx
    low_e = values[row, col] + w * (values[row, col + 1] - values[row, col])
    high_e = values[row + 1, col] + w * (values[row + 1, col + 1] - values[row + 1, col])
    return low_e * np.exp(frac * np.log(high_e / low_e))


def dedx(epn_kev: ArrayLike, mass: ArrayLike) -> FloatArray:
    """Stopping power of the carbon foil (spec section 4, ``cfoil_dedx.csv``).

    The reference routine's look-up (CFOIL): mass below 1 amu is taken as 1, energy below
    1e-5 keV/amu as 1e-5.  The dE/dx values of the two species columns bracketing the mass
    are interpolated linearly in mass at the two table energies bracketing the energy, and
    the two results log-log in energy.  Beyond the last column or row (or below the first
    row) the outermost two are extrapolated, never clamped; a mass or energy equal to a
    table value uses that column or row.

    Parameters
    ----------
    epn_kev : array_like
        Energy per nucleon, keV/amu.
    mass : array_like
        Ion mass, amu (broadcast against ``epn_kev``).

    Returns
    -------
    numpy.ndarray
        dE/dx in keV per (ug/cm^2); NaN where an input is NaN.
    """
    epn, m = np.broadcast_arrays(as_float(epn_kev, "epn_kev"), as_float(mass, "mass"))
    bad = np.isnan(epn) | np.isnan(m)
    epn = np.where(bad, 1.0, epn)
    m = np.where(bad, 1.0, m)
    result = _dedx_weighted(epn, _mass_weights(m))
    return np.where(bad, np.nan, result)


# ---------------------------------------------------------------------------------------
# Mass and mass per charge (spec section 4)
# ---------------------------------------------------------------------------------------


def mass_amu(e_kev: ArrayLike, t_ns: ArrayLike) -> FloatArray:
    """Ion mass from residual energy and time of flight: the standard fit (spec section 4).

    ``ln M = a1 + a2 lnE + a3 lnT + a4 lnE lnT + a5 (lnE)^2 + a6 (lnT)^3`` with the
    coefficients ``MASS_FIT``.

    Parameters
    ----------
    e_kev : array_like
        Residual SSD energy E, keV.
    t_ns : array_like
        Time of flight T, ns (broadcast against ``e_kev``).

    Returns
    -------
    numpy.ndarray
        Mass in amu; 0 where E <= 20 keV or T <= 0 (the fit's range of validity), NaN
        where an input is NaN.
    """
    e, t = np.broadcast_arrays(as_float(e_kev, "e_kev"), as_float(t_ns, "t_ns"))
    valid = (e > MASS_FIT_MIN_E_KEV) & (t > 0)
    log_e = np.log(np.where(valid, e, 1.0))
    log_t = np.log(np.where(valid, t, 1.0))
    a1, a2, a3, a4, a5, a6 = MASS_FIT
    log_m = a1 + a2 * log_e + a3 * log_t + a4 * log_e * log_t + a5 * log_e**2 + a6 * log_t**3
    result = np.where(valid, np.exp(log_m), 0.0)
    return np.where(np.isnan(e) | np.isnan(t), np.nan, result)


def invert_mass_fit(mass: ArrayLike, t_ns: ArrayLike) -> FloatArray:
    """Residual energy that makes the mass fit return ``mass`` at time of flight ``t_ns``.

    The forward model's measured energy (spec section 5): the fit is a quadratic in
    ``x = ln E``, ``a5 x^2 + (a2 + a4 lnT) x + (a1 + a3 lnT + a6 lnT^3 - ln M) = 0``; the
    larger root is taken (the smaller one is unphysical).

    Parameters
    ----------
    mass : array_like
        Ion mass M, amu (> 0).
    t_ns : array_like
        Time of flight T, ns (> 0).

    Returns
    -------
    numpy.ndarray
        E in keV; NaN where M <= 0, T <= 0 or the quadratic has no real root.  The result
        feeds back through :func:`mass_amu` to M only where it is above 20 keV.
    """
    m, t = np.broadcast_arrays(as_float(mass, "mass"), as_float(t_ns, "t_ns"))
    valid = (m > 0) & (t > 0)
    log_t = np.log(np.where(valid, t, 1.0))
    log_m = np.log(np.where(valid, m, 1.0))
    a1, a2, a3, a4, a5, a6 = MASS_FIT
    b = a2 + a4 * log_t
    c = a1 + a3 * log_t + a6 * log_t**3 - log_m
    disc = b * b - 4.0 * a5 * c
    valid &= disc >= 0
    root = (-b + np.sqrt(np.where(valid, disc, 0.0))) / (2.0 * a5)
    return np.where(valid, np.exp(root), np.nan)


def _entrance_epn(epn_after: FloatArray, mass: FloatArray) -> FloatArray:
    """Steps 3-4 of spec section 4: the energy per nucleon M/Q divides by.

    EPN_{n+1} = EPN_1 + dEdx(EPN_n, M) * 4.9 / M for n = 1..10, stopping at the first n
    with ``|EPN_{n+1} - EPN_n| <= 0.01``; the result is EPN_n, the iterate before that
    last update (EPN_10 without convergence), as the reference routine MASSPERQ does.
    Only unconverged elements are recomputed.
    """
    weights = _mass_weights(mass)
    epn = epn_after.copy()
    active = np.arange(epn.size)
    for _ in range(EPN_MAX_ITER - 1):
        subset = _MassWeights(weights.column[active], weights.weight[active])
        new = epn_after[active] + _dedx_weighted(epn[active], subset) * FOIL_UG_CM2 / mass[active]
        moving = np.abs(new - epn[active]) > EPN_TOLERANCE
        active = active[moving]
        if active.size == 0:
            break
        epn[active] = new[moving]
    # The 10th update is computed only to test convergence: either way EPN_10 is kept.
    return epn


def mass_per_charge(
    t_ns: ArrayLike, mass: ArrayLike, voltage_step: ArrayLike, paps_kv: ArrayLike
) -> FloatArray:
    """Mass per charge of PHA events, steps 1-6 of spec section 4.

    1. EPQ = revised E/Q of the voltage step.
    2. If M < 0.1 (no energy) the mass is assumed from MPQ1 = (T/239.89)^2 (EPQ + P - 4):
       1.0 if MPQ1 <= 1.5, 3.97 if MPQ1 <= 6, else 15.87; otherwise the measured M is used.
    3. EPN_1 = (239.89/T)^2; iterate EPN_{n+1} = EPN_1 + dEdx(EPN_n, mass) * 4.9 / mass
       for n = 1..10, stopping at the first n with |EPN_{n+1} - EPN_n| <= 0.01.
    4. MPQ = (EPQ + P) / EPN_n with n that stopping index (EPN_10 without convergence).
    5. Once, if M != 0 and (6 < MPQ < 23 or (MPQ < 6 and M > 7)): mass = 15.87, redo 3-4.
    6. MPQ = max(0, MPQ).

    Parameters
    ----------
    t_ns : array_like
        Time of flight T, ns.
    mass : array_like
        Measured mass M from :func:`mass_amu`, amu (0 when there is no energy).
    voltage_step : array_like of int
        Deflection-voltage step 0-63.
    paps_kv : array_like
        Post-acceleration voltage P, kV (NaN when the PAPS level has no valid voltage).

    Returns
    -------
    numpy.ndarray
        M/Q in amu/e; NaN where P or the step's E/Q is invalid (or an input is NaN),
        otherwise 0 where T <= 0.
    """
    t, m, step, p = np.broadcast_arrays(
        as_float(t_ns, "t_ns"),
        as_float(mass, "mass"),
        as_float(voltage_step, "voltage_step"),
        as_float(paps_kv, "paps_kv"),
    )
    volts = epq_kev(step) + p
    result = np.zeros(t.shape)
    invalid = np.isnan(volts) | np.isnan(t) | np.isnan(m)
    result[invalid] = np.nan
    todo = np.flatnonzero((~invalid & (t > 0)).ravel())
    if todo.size == 0:
        return result
    ts = t.ravel()[todo]
    ms = m.ravel()[todo]
    vs = volts.ravel()[todo]
    mpq1 = (ts / TOF_CONSTANT) ** 2 * (vs - MPQ1_OFFSET_KV)
    assumed = np.where(mpq1 <= 1.5, MASS_H, np.where(mpq1 <= 6.0, MASS_HE, MASS_O))
    mass_used = np.where(ms < 0.1, assumed, ms)
    epn_after = (TOF_CONSTANT / ts) ** 2
    mpq = vs / _entrance_epn(epn_after, mass_used)
    redo = (ms != 0) & (((mpq > 6) & (mpq < 23)) | ((mpq < 6) & (ms > 7)))
    if np.any(redo):
        oxygen = np.full(int(redo.sum()), MASS_O)
        mpq[redo] = vs[redo] / _entrance_epn(epn_after[redo], oxygen)
    result.ravel()[todo] = np.maximum(mpq, 0.0)
    return result


def convert_events(
    energy_ch: ArrayLike, tof_ch: ArrayLike, voltage_step: ArrayLike, paps_lvl: ArrayLike
) -> dict[str, FloatArray]:
    """Convert PHA channels to physical units (spec section 4).

    Parameters
    ----------
    energy_ch, tof_ch : array_like
        PHA energy and TOF channels, 0-1023.
    voltage_step : array_like of int
        Deflection-voltage step 0-63 of each event's spin.
    paps_lvl : array_like of int
        PAPS level code of each event's cycle.

    Returns
    -------
    dict
        ``E_keV`` (keV), ``T_ns`` (ns), ``mass`` (amu, 0 without a valid energy) and
        ``mpq`` (amu/e, NaN without a valid PAPS voltage), each a float64 array.
    """
    e = energy_kev(energy_ch)
    t = tof_ns(tof_ch)
    m = mass_amu(e, t)
    mpq = mass_per_charge(t, m, voltage_step, paps_kv(paps_lvl))
    return {"E_keV": e, "T_ns": t, "mass": m, "mpq": mpq}
