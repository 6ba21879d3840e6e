"""The AMPTE/CCE orbit of the simulator (spec section 1 orbit elements).

Perigee 1.17 Re, apogee 8.8 Re, period 15.66 h, inclination 4.8 deg, J2 precession of the
line of apsides and the node; a centred dipole gives L, the magnetic latitude and MLT.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import numpy.typing as npt

from data_build.simulate.config import _EPOCH_DATE, _SECONDS_PER_DAY, FloatArray

__all__ = ["APOGEE_RE", "INCLINATION_DEG", "PERIGEE_RE", "PERIOD_H", "orbit"]

_JD_EPOCH = 2439126.5  # Julian date of 1966-01-01 00:00 UT
_JD_J2000 = 2451545.0
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
