"""Min/max decimation of timeline traces to about the screen's width.

``tsdownsample``'s MinMax downsampler was tried: it keeps the minimum and maximum of each of
its own buckets, but its bucket edges are not those of :func:`decimate` (``linspace`` over
the rows, floored), so a bucket's extremes as defined here are not always kept; this
function stays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def decimate(
    t_ns: npt.NDArray[np.int64], values: FloatArray, points: int | None
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Reduce a trace to about ``points`` samples keeping each bucket's minimum and maximum.

    Samples are grouped into ``points // 2`` buckets of consecutive rows; each bucket gives
    its minimum and its maximum in time order, so spikes survive.  Short traces (and every
    trace when ``points`` is None) pass through.
    """
    n = len(values)
    if points is None or n <= points:
        return t_ns, values
    nb = max(points // 2, 1)
    edges = np.linspace(0, n, nb + 1).astype(np.int64)
    starts = edges[:-1]
    filled = np.where(np.isnan(values), -np.inf, values)
    vmax = np.maximum.reduceat(filled, starts)
    imax = _arg_reduce(filled, starts, vmax)
    filled_min = np.where(np.isnan(values), np.inf, values)
    vmin = np.minimum.reduceat(filled_min, starts)
    imin = _arg_reduce(filled_min, starts, vmin)
    idx = np.sort(np.concatenate([imin, imax]))
    return t_ns[idx], values[idx]


def _arg_reduce(
    values: FloatArray, starts: npt.NDArray[np.int64], target: FloatArray
) -> npt.NDArray[np.int64]:
    """Index of the first element of each bucket equal to the bucket's reduced value."""
    bucket = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    hit = np.flatnonzero(values == target[bucket])
    first = np.unique(bucket[hit], return_index=True)[1]
    return hit[first].astype(np.int64)
