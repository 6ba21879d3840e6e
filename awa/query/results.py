"""Plain result types of the query layer (no I/O): what the figures and downloads receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Hist2D:
    """A 2-D histogram: ``counts[iy, ix]`` on bin edges ``x_edges``, ``y_edges``.

    ``n_selected`` is the number of events the selection holds; ``n_shown`` the number
    inside the grid (the rest fall outside the axis ranges or have no valid value).
    """

    counts: FloatArray
    x_edges: FloatArray
    y_edges: FloatArray
    n_selected: int
    n_shown: int
    weighted: bool = False


@dataclass(frozen=True)
class EventSample:
    """Selected events (when at most ``limit``) with physical values; else only the count."""

    columns: dict[str, npt.NDArray[Any]]
    n_selected: int
    complete: bool


@dataclass(frozen=True)
class Series:
    """One decimated timeline trace: times (int64 ns, NaT-free) and values; NaN breaks gaps."""

    name: str
    t_ns: npt.NDArray[np.int64]
    values: FloatArray
    n_raw: int


@dataclass(frozen=True)
class MeTotals:
    """Matrix-element counts summed over the selected cycles (ME0..ME511) and the cycles."""

    counts: FloatArray
    n_cycles: int


@dataclass(frozen=True)
class MeSeries:
    """Counts of the chosen boxes per science cycle (decimated for long spans).

    Attributes
    ----------
    t_ns : int64 array
        Cycle start times, ns since 1970 (UTC).
    counts : float array
        Counts per cycle summed over ``boxes``.
    boxes : tuple of int
        The boxes summed.
    n_cycles : int
        Science cycles in the selection (before decimation).
    total : float
        Counts of the chosen boxes summed over every selected cycle.
    """

    t_ns: npt.NDArray[np.int64]
    counts: FloatArray
    boxes: tuple[int, ...]
    n_cycles: int
    total: float


@dataclass(frozen=True)
class Storm:
    """An interval with Dst below a threshold: start, end (UTC) and minimum Dst (nT)."""

    start: datetime
    end: datetime
    min_dst: float


@dataclass(frozen=True)
class StoreSummary:
    """Rows and time span of each store present (``None`` span when empty)."""

    rows: dict[str, int]
    spans: dict[str, tuple[datetime, datetime] | None]
    missing: tuple[str, ...]
