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
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem.schema import PAPS_KV

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = npt.ArrayLike

# ---------------------------------------------------------------------------------------
# Constants (spec section 4)
# ---------------------------------------------------------------------------------------

#: Full scale of the residual-energy channel (keV at channel 1023).
ENERGY_FULL_SCALE_KEV = 1500.0
#: Full scale of the time-of-flight channel (ns at channel 1023).
TOF_FULL_SCALE_NS = 320.0
#: Largest channel value of both PHA words.
CHANNEL_MAX = 1023
#: keV per residual-energy channel (spec section 4).
E_KEV_PER_CHANNEL = 1500 / 1023
#: ns per time-of-flight channel (spec section 4).
T_NS_PER_CHANNEL = 320 / 1023
#: TOF channel of the instrument's artefact peak, rejected by the ``tof1019`` filter.
TOF_ARTEFACT = 1019
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

#: ME grid to physics (spec section 6): M/Q = MPQ_GRID0 * MPQ_GRID_STEP ** (x - 1) and
#: Mass = MASS_GRID0 * MASS_GRID_STEP ** (y - 1).
MPQ_GRID0 = 0.6837
MPQ_GRID_STEP = 1.05
MASS_GRID0 = 0.6854
MASS_GRID_STEP = 1.20


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


def _read_table(name: str) -> pd.DataFrame:
    with resources.files("awa.chem").joinpath("tables", name).open("r") as handle:
        return pd.read_csv(handle)


@cache
def _epq_table() -> FloatArray:
    table = _read_table("epq_steps.csv")
    steps = table["voltage_step"].to_numpy(dtype=np.int64)
    if not np.array_equal(steps, np.arange(len(steps))):
        raise ValueError("epq_steps.csv: voltage_step must be 0, 1, 2, ... in order")
    return table["epq_revised_kev_per_e"].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class _DedxTable:
    log_energy: FloatArray  # ln(keV/amu), shape (n_e,)
    masses: FloatArray  # amu, shape (n_m,)
    log_dedx: FloatArray  # ln(keV per ug/cm^2), shape (n_e, n_m)


@cache
def _dedx_table() -> _DedxTable:
    table = _read_table("cfoil_dedx.csv")
    energy = table.iloc[:, 0].to_numpy(dtype=np.float64)
    masses = np.array([float(col.rsplit("_m", 1)[1]) for col in table.columns[1:]])
    values = table.iloc[:, 1:].to_numpy(dtype=np.float64)
    if np.any(np.diff(energy) <= 0) or np.any(np.diff(masses) <= 0) or np.any(values <= 0):
        raise ValueError("cfoil_dedx.csv: energies and masses must increase, dE/dx be > 0")
    return _DedxTable(np.log(energy), masses, np.log(values))


def _as_float(values: ArrayLike, name: str) -> FloatArray:
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
        E in keV: ``channel * 1500 / 1023``.
    """
    return _as_float(energy_ch, "energy_ch") * (ENERGY_FULL_SCALE_KEV / CHANNEL_MAX)


def tof_ns(tof_ch: ArrayLike) -> FloatArray:
    """Time of flight from the PHA TOF channel (spec section 4).

    Parameters
    ----------
    tof_ch : array_like
        TOF channel, 0-1023.

    Returns
    -------
    numpy.ndarray
        T in ns: ``channel * 320 / 1023``.
    """
    return _as_float(tof_ch, "tof_ch") * (TOF_FULL_SCALE_NS / CHANNEL_MAX)


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
    steps = _as_float(voltage_step, "voltage_step")
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
    levels = _as_float(paps_lvl, "paps_lvl")
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
    """Bracketing dE/dx columns of each mass: lower column index and linear weight."""

    column: IntArray
    weight: FloatArray


def _mass_weights(mass: FloatArray) -> _MassWeights:
    masses = _dedx_table().masses
    clamped = np.clip(mass, masses[0], masses[-1])
    column = np.clip(np.searchsorted(masses, clamped, side="right") - 1, 0, len(masses) - 2)
    weight = (clamped - masses[column]) / (masses[column + 1] - masses[column])
    return _MassWeights(column.astype(np.int64), weight)


def _dedx_weighted(epn_kev: FloatArray, weights: _MassWeights) -> FloatArray:
    table = _dedx_table()
    log_e = np.log(np.clip(epn_kev, np.exp(table.log_energy[0]), np.exp(table.log_energy[-1])))
    n_rows = len(table.log_energy)
    row = np.clip(np.searchsorted(table.log_energy, log_e, side="right") - 1, 0, n_rows - 2)
    frac = (log_e - table.log_energy[row]) / (table.log_energy[row + 1] - table.log_energy[row])
    col = weights.column
    lo = table.log_dedx
    low_mass = np.exp(lo[row, col] + frac * (lo[row + 1, col] - lo[row, col]))
    high_mass = np.exp(lo[row, col + 1] + frac * (lo[row + 1, col + 1] - lo[row, col + 1]))
    return low_mass + weights.weight * (high_mass - low_mass)


def dedx(epn_kev: ArrayLike, mass: ArrayLike) -> FloatArray:
    """Stopping power of the carbon foil (spec section 4, ``cfoil_dedx.csv``).

    Log-log interpolation in energy between the bracketing table rows, then linear in
    mass between the two bracketing species columns; mass is clamped to [1, 83.14] amu and
    energy to the table's range [1, 10000] keV/amu.

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
    epn, m = np.broadcast_arrays(_as_float(epn_kev, "epn_kev"), _as_float(mass, "mass"))
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
    e, t = np.broadcast_arrays(_as_float(e_kev, "e_kev"), _as_float(t_ns, "t_ns"))
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
    m, t = np.broadcast_arrays(_as_float(mass, "mass"), _as_float(t_ns, "t_ns"))
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
    """Steps 3 of spec section 4: iterate EPN_{n+1} = EPN_1 + dEdx(EPN_n, M) * 4.9 / M.

    At most ``EPN_MAX_ITER`` iterations; an element stops once its change is <= 0.01.
    Only unconverged elements are recomputed.
    """
    weights = _mass_weights(mass)
    epn = epn_after.copy()
    active = np.arange(epn.size)
    for _ in range(EPN_MAX_ITER):
        if active.size == 0:
            break
        subset = _MassWeights(weights.column[active], weights.weight[active])
        new = epn_after[active] + _dedx_weighted(epn[active], subset) * FOIL_UG_CM2 / mass[active]
        change = np.abs(new - epn[active])
        epn[active] = new
        active = active[change > EPN_TOLERANCE]
    return epn


def mass_per_charge(
    t_ns: ArrayLike, mass: ArrayLike, voltage_step: ArrayLike, paps_kv: ArrayLike
) -> FloatArray:
    """Mass per charge of PHA events, steps 1-6 of spec section 4.

    1. EPQ = revised E/Q of the voltage step.
    2. If M < 0.1 (no energy) the mass is assumed from MPQ1 = (T/239.89)^2 (EPQ + P - 4):
       1.0 if MPQ1 <= 1.5, 3.97 if MPQ1 <= 6, else 15.87; otherwise the measured M is used.
    3. EPN_1 = (239.89/T)^2; iterate EPN_{n+1} = EPN_1 + dEdx(EPN_n, mass) * 4.9 / mass.
    4. MPQ = (EPQ + P) / EPN_final.
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
        _as_float(t_ns, "t_ns"),
        _as_float(mass, "mass"),
        _as_float(voltage_step, "voltage_step"),
        _as_float(paps_kv, "paps_kv"),
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


# ---------------------------------------------------------------------------------------
# Matrix-element boxes (spec section 6)
# ---------------------------------------------------------------------------------------


def grid_to_mpq(x: ArrayLike) -> FloatArray:
    """M/Q (amu/e) at ME grid coordinate x: ``0.6837 * 1.05 ** (x - 1)`` (spec section 6)."""
    return MPQ_GRID0 * MPQ_GRID_STEP ** (_as_float(x, "x") - 1.0)


def grid_to_mass(y: ArrayLike) -> FloatArray:
    """Mass (amu) at ME grid coordinate y: ``0.6854 * 1.20 ** (y - 1)`` (spec section 6)."""
    return MASS_GRID0 * MASS_GRID_STEP ** (_as_float(y, "y") - 1.0)


def mpq_to_grid(mpq: ArrayLike) -> FloatArray:
    """ME grid x coordinate of an M/Q (amu/e); inverse of :func:`grid_to_mpq`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 + np.log(_as_float(mpq, "mpq") / MPQ_GRID0) / np.log(MPQ_GRID_STEP)


def mass_to_grid(mass: ArrayLike) -> FloatArray:
    """ME grid y coordinate of a mass (amu); inverse of :func:`grid_to_mass`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 + np.log(_as_float(mass, "mass") / MASS_GRID0) / np.log(MASS_GRID_STEP)


@cache
def _me_boxes() -> pd.DataFrame:
    table = _read_table("me_boxes.csv")
    expected = ["me", "x0", "y0", "width", "height", "kind"]
    if list(table.columns) != expected:
        raise ValueError(f"me_boxes.csv: expected columns {expected}, got {list(table.columns)}")
    frame = table.astype({"me": "int64", "x0": "int64", "y0": "int64"})
    frame = frame.astype({"width": "int64", "height": "int64"})
    x1 = frame["x0"] + frame["width"]
    y1 = frame["y0"] + frame["height"]
    frame["nq_lo"] = frame["x0"] - 1
    frame["nm_lo"] = frame["y0"] - 1
    frame["mpq_lo"] = grid_to_mpq(frame["x0"].to_numpy())
    frame["mpq_hi"] = grid_to_mpq(x1.to_numpy())
    frame["mass_lo"] = grid_to_mass(frame["y0"].to_numpy())
    frame["mass_hi"] = grid_to_mass(y1.to_numpy())
    return frame


def me_boxes() -> pd.DataFrame:
    """The 491 matrix-element boxes of the mass versus M/Q grid (spec section 6).

    Returns
    -------
    pandas.DataFrame
        One row per box: ``me`` (box number 0-490), ``x0``, ``y0``, ``width``, ``height``
        (grid units; the box covers x in [x0, x0+width), y in [y0, y0+height)), ``kind``
        ("double" for boxes 0-47, "background" for 252-256, else "triple"), ``nq_lo`` and
        ``nm_lo`` (the DPU's indices x0 - 1, y0 - 1), ``mpq_lo``/``mpq_hi`` (amu/e) and
        ``mass_lo``/``mass_hi`` (amu) of the box edges.  Doubles are classified by M/Q
        only; their mass edges are the literal grid conversion of y in [0, 1).
    """
    return _me_boxes().copy()


#: Rounding allowance (grid units) when placing a point on the ME grid.
_GRID_EPS = 1e-9


@dataclass(frozen=True)
class _BoxLookup:
    doubles: IntArray  # box of each integer x cell for events without energy
    triples: IntArray  # box of each (x, y) integer cell for events with a mass


@cache
def _box_lookup() -> _BoxLookup:
    boxes = _me_boxes()
    nx = int((boxes["x0"] + boxes["width"]).max())
    ny = int((boxes["y0"] + boxes["height"]).max())
    doubles = np.full(nx, -1, dtype=np.int64)
    triples = np.full((nx, ny), -1, dtype=np.int64)
    rows: list[Any] = list(boxes.itertuples(index=False))
    # background first so that the other boxes cover it
    for kind in ("background", "triple"):
        for box in rows:
            if box.kind == kind:
                triples[box.x0 : box.x0 + box.width, box.y0 : box.y0 + box.height] = box.me
    for box in rows:
        if box.kind == "double":
            doubles[box.x0 : box.x0 + box.width] = box.me
    return _BoxLookup(doubles, triples)


def me_box_of(mass: ArrayLike, mpq: ArrayLike) -> IntArray:
    """ME box (spec section 6) each event with (mass, M/Q) falls in.

    Parameters
    ----------
    mass : array_like
        Mass, amu; exactly 0 means no energy (a double), classified by M/Q only into
        boxes 0-47.
    mpq : array_like
        Mass per charge, amu/e.

    Returns
    -------
    numpy.ndarray of int64
        Box number 0-490, or -1 where no box covers the point (off the grid, M/Q <= 0,
        negative or NaN inputs).  Background boxes 252-256 are returned only where no
        other box covers the point.
    """
    m, q = np.broadcast_arrays(_as_float(mass, "mass"), _as_float(mpq, "mpq"))
    lookup = _box_lookup()
    nx, ny = lookup.triples.shape
    # a point on a box's lower edge (up to rounding) belongs to that box
    x = np.floor(mpq_to_grid(np.where(q > 0, q, np.nan)) + _GRID_EPS)
    y = np.floor(mass_to_grid(np.where(m > 0, m, np.nan)) + _GRID_EPS)
    in_x = np.isfinite(x) & (x >= 0) & (x < nx)
    ix = np.where(in_x, x, 0).astype(np.int64)
    result = np.full(m.shape, -1, dtype=np.int64)
    double = in_x & (m == 0)
    result[double] = lookup.doubles[ix[double]]
    triple = in_x & np.isfinite(y) & (y >= 0) & (y < ny)
    iy = np.where(triple, y, 0).astype(np.int64)
    result[triple] = lookup.triples[ix[triple], iy[triple]]
    return result
