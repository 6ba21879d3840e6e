"""The hourly index table and its merge onto spin times (spec section 3).

Merging rule: Dst by the UT hour of the spin (floor to the hour); Kp forward filled from its
3-hour interval to each hour, then matched the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_build.indices.common import _HOUR, _KP_INTERVAL, _NS

__all__ = ["hourly_indices", "merge_indices"]


def _sorted_unique(series: pd.Series, what: str) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise TypeError(f"{what} must have a DatetimeIndex, got {type(series.index).__name__}")
    if series.index.tz is not None:
        series = series.tz_convert(None)
    series = series.sort_index(kind="stable")
    if series.index.has_duplicates:
        raise ValueError(
            f"{what} has duplicate times, e.g. {series.index[series.index.duplicated()][0]}"
        )
    return series


def hourly_indices(
    kp: pd.Series | None,
    dst: pd.Series | None,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
) -> pd.DataFrame:
    """One row per UT hour with Dst and Kp (spec section 3).

    Parameters
    ----------
    kp : pandas.Series or None
        3-hourly Kp (index = interval start).  Each hour gets the Kp of the 3-hour interval
        that contains it; hours in no interval, or in one whose Kp is NaN, get NaN.
        None gives an all-NaN column.
    dst : pandas.Series or None
        Hourly Dst (nT), index = start of hour (times are floored to the hour).  None gives
        an all-NaN column.
    start, end : pandas.Timestamp or str
        Range (naive UTC); the table covers [floor(start), ceil(end)) by the hour.

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (hourly, naive UTC ``datetime64[ns]``), float32 columns ``Dst`` (nT)
        and ``Kp`` (dimensionless).
    """
    t0 = pd.Timestamp(start).floor("h")
    t1 = pd.Timestamp(end).ceil("h")
    if t1 < t0:
        raise ValueError(f"end {end} is before start {start}")
    n = int((t1 - t0) // pd.Timedelta(hours=1))
    hours = t0.to_datetime64().astype(_NS) + np.arange(n) * _HOUR
    dst_values = np.full(n, np.nan, dtype=np.float32)
    kp_values = np.full(n, np.nan, dtype=np.float32)
    if dst is not None and len(dst):
        d = _sorted_unique(dst, "dst")
        d_times = d.index.to_numpy().astype(_NS).astype("datetime64[h]").astype(_NS)
        if np.any(d_times[1:] == d_times[:-1]):
            raise ValueError("dst has two values in the same UT hour")
        dst_values = _lookup(hours, d_times, d.to_numpy(dtype=np.float64))
    if kp is not None and len(kp):
        k = _sorted_unique(kp, "kp")
        k_times = k.index.to_numpy().astype(_NS)
        k_vals = k.to_numpy(dtype=np.float64)
        pos = np.searchsorted(k_times, hours, side="right") - 1
        inside = pos >= 0
        safe = np.clip(pos, 0, None)
        inside &= hours < k_times[safe] + _KP_INTERVAL
        kp_values = np.where(inside, k_vals[safe], np.nan).astype(np.float32)
    index = pd.DatetimeIndex(hours, name="time")
    return pd.DataFrame({"Dst": dst_values, "Kp": kp_values}, index=index)


def _lookup(keys: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values at exactly ``keys`` (sorted ``times``), NaN where absent or where key is NaT."""
    out = np.full(keys.shape, np.nan, dtype=np.float32)
    if times.size == 0:
        return out
    pos = np.searchsorted(times, keys)
    safe = np.clip(pos, 0, times.size - 1)
    hit = (pos < times.size) & (times[safe] == keys) & ~np.isnat(keys)
    out[hit] = values[safe[hit]]
    return out


def merge_indices(times: np.ndarray, hourly: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Dst and Kp for each time: floor to the UT hour and look up the hourly table.

    Parameters
    ----------
    times : numpy.ndarray of datetime64
        Spin (or cycle) start times, naive UTC; NaT gives NaN.
    hourly : pandas.DataFrame
        Output of `hourly_indices` (hourly DatetimeIndex, columns ``Dst`` and ``Kp``).

    Returns
    -------
    dst, kp : numpy.ndarray of float32
        Dst (nT) and Kp per time; NaN where the hour is not in the table.  Spec section 3.
    """
    arr = np.asarray(times)
    if not np.issubdtype(arr.dtype, np.datetime64):
        raise TypeError(f"times must be datetime64, got {arr.dtype}")
    missing = [c for c in ("Dst", "Kp") if c not in hourly.columns]
    if missing:
        raise ValueError(f"hourly table lacks column(s) {missing}")
    if not isinstance(hourly.index, pd.DatetimeIndex):
        raise TypeError("hourly table must have a DatetimeIndex")
    keys = arr.astype(_NS).astype("datetime64[h]").astype(_NS)
    table = hourly.sort_index(kind="stable")
    table_times = table.index.to_numpy().astype(_NS)
    dst = _lookup(keys, table_times, table["Dst"].to_numpy(dtype=np.float64))
    kp = _lookup(keys, table_times, table["Kp"].to_numpy(dtype=np.float64))
    return dst, kp
