"""The one storm rule: intervals of hourly Dst at or below a threshold.

The rule, on hourly values (hour numbers sorted and unique, Dst in nT):

1. an hour is *stormy* when its Dst is finite and ``Dst <= threshold``;
2. stormy hours at most ``merge_hours`` hours apart (start to start) belong to one interval,
   so quiet, missing or NaN hours shorter than that gap do not split a storm;
3. an interval runs from the start of its first stormy hour to the end of its last one
   (whole hours); there is no minimum length;
4. its minimum Dst is the lowest Dst of its stormy hours.

This is the rule the app shows as its storm list (threshold set by the user, default
``DEFAULT_THRESHOLD_NT``); the build's ``data_build.indices.storm_intervals`` wraps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_THRESHOLD_NT", "MERGE_HOURS", "StormHours", "storm_hours"]

#: Default Dst threshold of the storm list, nT.
DEFAULT_THRESHOLD_NT = -100.0
#: Stormy hours at most this many hours apart belong to one storm.
MERGE_HOURS = 6.0


@dataclass(frozen=True)
class StormHours:
    """Storm intervals as arrays, one value per storm, in time order.

    Attributes
    ----------
    start : numpy.ndarray of int64
        Hour number of the first stormy hour (same count as the input hours).
    end : numpy.ndarray of int64
        Hour number just after the last stormy hour (exclusive end).
    min_dst : numpy.ndarray of float64
        Lowest Dst of the interval, nT.
    """

    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    min_dst: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.start.size)


def storm_hours(
    hours: npt.ArrayLike,
    dst: npt.ArrayLike,
    threshold: float = DEFAULT_THRESHOLD_NT,
    merge_hours: float = MERGE_HOURS,
) -> StormHours:
    """Storm intervals of an hourly Dst series (the rule in the module docstring).

    Parameters
    ----------
    hours : array_like of int
        Hour numbers (e.g. hours since 1970-01-01 00:00 UT), sorted and unique.
    dst : array_like of float
        Dst of each hour, nT; NaN where unknown.
    threshold : float
        An hour is stormy when its Dst is at or below this value, nT.
    merge_hours : float
        Stormy hours at most this many hours apart belong to one interval, h.

    Returns
    -------
    StormHours

    Raises
    ------
    ValueError
        ``hours`` and ``dst`` differ in shape, or ``hours`` is not strictly increasing.
    """
    h = np.asarray(hours, dtype=np.int64)
    d = np.asarray(dst, dtype=np.float64)
    if h.shape != d.shape or h.ndim != 1:
        raise ValueError(f"hours and dst must be 1-d of one length, got {h.shape}, {d.shape}")
    if h.size > 1 and not bool(np.all(np.diff(h) > 0)):
        raise ValueError("hours must be sorted and unique")
    below = np.flatnonzero(np.isfinite(d) & (d <= threshold))
    if below.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return StormHours(empty, empty.copy(), np.zeros(0, dtype=np.float64))
    stormy = h[below]
    first = np.concatenate(([0], np.flatnonzero(np.diff(stormy) > merge_hours) + 1))
    last = np.append(first[1:] - 1, stormy.size - 1)
    return StormHours(
        start=stormy[first],
        end=stormy[last] + 1,
        min_dst=np.minimum.reduceat(d[below], first),
    )
