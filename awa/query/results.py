"""Plain result types of the query layer (no I/O): what the figures and downloads receive."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SpeciesSeries:
    """Selected PHA events of each species code per time bin (cycle or UTC hour).

    Attributes
    ----------
    start, stop : int64 array, shape (n,)
        Bin start and stop, ns since 1970 (UTC): a housekeeping cycle's start time and the
        next cycle's start (at most ``CYCLE_SPAN_S`` later), or a UTC hour.
    names : tuple of str, length k
        Name of each code (:func:`awa.chem.species.code_names`): regions, "other", "no mass".
    counts : int64 array, shape (n, k)
        Selected events of each code in the bin.
    weighted : float64 array, shape (n, k)
        The same events weighted by BR_n/R_n of their spin and range n (events per spin).
    spins : int64 array, shape (n,)
        Selected spins in the bin.
    accumulation_s : float64 array, shape (n,)
        Accumulation time of those spins, s; the rate of code j is
        ``weighted[:, j] / accumulation_s`` (per second).
    cadence : str
        ``"cycle"`` or ``"hour"``.
    unbinned_spins : int
        Selected spins outside every bin (cycle cadence: spins in no housekeeping cycle).
    index_sums : float64 array, shape (n, 4)
        Sum and number of the finite Dst (nT) and Kp values of the selected spins, per bin
        (columns Dst sum, Dst number, Kp sum, Kp number); see :meth:`dst` and :meth:`kp`.
    """

    start: npt.NDArray[np.int64]
    stop: npt.NDArray[np.int64]
    names: tuple[str, ...]
    counts: npt.NDArray[np.int64]
    weighted: FloatArray
    spins: npt.NDArray[np.int64]
    accumulation_s: FloatArray
    cadence: str = "hour"
    unbinned_spins: int = 0
    index_sums: FloatArray = field(default_factory=lambda: np.zeros((0, 4)))

    def _mean(self, j: int) -> FloatArray:
        total, number = self.index_sums[:, 2 * j], self.index_sums[:, 2 * j + 1]
        return np.where(number > 0, total / np.where(number > 0, number, 1.0), np.nan)

    def dst(self) -> FloatArray:
        """Mean Dst (nT) of the selected spins of each bin (NaN without a value)."""
        return self._mean(0)

    def kp(self) -> FloatArray:
        """Mean Kp of the selected spins of each bin (NaN without a value)."""
        return self._mean(1)

    def rates(self) -> FloatArray:
        """Rate of each code per bin, 1/s (weighted / accumulation_s; NaN without time)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = self.accumulation_s[:, None]
            return np.where(acc > 0, self.weighted / np.where(acc > 0, acc, 1.0), np.nan)


@dataclass(frozen=True)
class SpeciesSide:
    """One selection of a comparison: its M-M/Q histograms and species totals.

    ``counts`` is the event histogram (for the statistical mask); ``shown`` the histogram
    compared (BR_n/R_n weighted when the comparison is weighted, else ``counts`` again).
    ``totals`` (k,) and ``weighted_totals`` (k,) are the events of each species code and
    their BR_n/R_n weights; ``spins`` and ``accumulation_s`` the selected spins and their time.
    """

    counts: Hist2D
    shown: Hist2D
    totals: npt.NDArray[np.int64]
    weighted_totals: FloatArray
    spins: int
    accumulation_s: float


@dataclass(frozen=True)
class SpeciesComparison:
    """Selections A and B side by side (:class:`SpeciesSide`) with the species code names."""

    names: tuple[str, ...]
    a: SpeciesSide
    b: SpeciesSide
    weighted: bool
