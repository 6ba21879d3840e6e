"""Histograms drawn piece by piece, summed as the pieces arrive, and the cost of a request.

A long request cuts its time ranges at UTC midnights (:func:`day_pieces`); each piece is a
histogram of its own and is added to a running sum (:class:`HistogramSum`), so memory does
not grow with the number of pieces.  Whole-day pieces are memoized (they are the key of a
one-day view); shorter pieces are not, so 10,000 short ranges do not fill the result cache.

The cost of a request (:func:`estimate_cost`) is read from the store's hour index (row
ranges), before any event is read: the number of PHA rows (events) and of time ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from awa.chem import schema
from awa.model import Selection, TimeRange
from awa.query.results import Hist2D
from awa.query.store import StoreKey, check_row_limit, get_table, row_ranges


@dataclass(frozen=True)
class Step:
    """What a piece-by-piece histogram has done so far.

    ``ranges_done`` of ``ranges_total`` time ranges are complete (a range cut at midnights
    is complete when its last piece is); ``pieces_done`` of ``pieces_total`` pieces (each
    within one UTC day); ``events`` selected events summed so far.
    """

    ranges_done: int
    ranges_total: int
    pieces_done: int
    pieces_total: int
    events: int


#: ``progress(step)``: called before the first piece and after each piece.
Progress = Callable[[Step], None]


@dataclass(frozen=True)
class Cost:
    """The estimated cost of a request: PHA rows (events) in its ranges, and its ranges."""

    events: int
    ranges: int


def estimate_cost(data_dir: str | Path, times: tuple[TimeRange, ...]) -> Cost:
    """PHA store rows inside ``times`` (from the hour index, no event read) and range count.

    Raises
    ------
    StoreMissingError
        When the PHA store is missing.
    """
    table = get_table(str(Path(data_dir).resolve()), schema.PHA_STORE)
    return Cost(sum(hi - lo for lo, hi in row_ranges(table, times)), len(times))


def day_pieces(times: tuple[TimeRange, ...]) -> tuple[TimeRange, ...]:
    """Cut time ranges at every UTC midnight inside them.

    The pieces are half-open like the ranges, in time order, and cover exactly the same
    instants: each lies within one UTC day.
    """
    return tuple(piece for _, piece in _numbered_pieces(times))


def _numbered_pieces(times: tuple[TimeRange, ...]) -> list[tuple[int, TimeRange]]:
    """Pieces of :func:`day_pieces`, each with the index of the range it belongs to."""
    out: list[tuple[int, TimeRange]] = []
    for i, r in enumerate(times):
        start = r.start
        while start < r.end:
            midnight = datetime(start.year, start.month, start.day) + timedelta(days=1)
            end = min(midnight, r.end)
            out.append((i, TimeRange(start, end)))
            start = end
    return out


def _whole_day(r: TimeRange) -> bool:
    return r.end - r.start == timedelta(days=1) and r.start.time() == datetime.min.time()


class HistogramSum:
    """A running sum of histograms on one grid (counts and event numbers add)."""

    def __init__(self) -> None:
        self.first: Hist2D | None = None
        self.counts: np.ndarray | None = None
        self.n_selected = 0
        self.n_shown = 0

    def add(self, part: Hist2D) -> None:
        """Add ``part`` to the sum.

        Raises
        ------
        ValueError
            When its bin edges or weighting differ from the first part's.
        """
        if self.first is None or self.counts is None:
            self.first = part
            self.counts = np.array(part.counts, dtype=np.float64, copy=True)
        else:
            f = self.first
            if not (np.array_equal(part.x_edges, f.x_edges)
                    and np.array_equal(part.y_edges, f.y_edges)
                    and part.weighted == f.weighted):  # fmt: skip
                raise ValueError("histograms to sum must share bin edges and weighting")
            self.counts += part.counts
        self.n_selected += part.n_selected
        self.n_shown += part.n_shown

    def result(self) -> Hist2D:
        """The sum so far.

        Raises
        ------
        ValueError
            When nothing was added.
        """
        if self.first is None or self.counts is None:
            raise ValueError("no histograms to sum")
        f = self.first
        return Hist2D(self.counts, f.x_edges, f.y_edges, self.n_selected, self.n_shown,
                      weighted=f.weighted)  # fmt: skip


def sum_histograms(parts: list[Hist2D]) -> Hist2D:
    """Sum histograms drawn on the same grid (counts and event numbers add).

    Raises
    ------
    ValueError
        When there are no parts or their bin edges differ.
    """
    total = HistogramSum()
    for p in parts:
        total.add(p)
    return total.result()


#: Most draws of one piece-by-piece histogram: beyond it, consecutive pieces are drawn
#: together, one call over several days or ranges (one scan costs less than as many short
#: ones: 500 ranges of 20 min, 0.74 -> 0.49 s); the progress still counts days and ranges.
#: The Celery fan-out cuts at most as many chunks.
MAX_DRAWS = 64


def _grouped(
    pieces: list[tuple[int, TimeRange]], max_draws: int
) -> list[tuple[int, list[TimeRange], int]]:
    """Consecutive pieces in groups of ``ceil(len(pieces) / max_draws)``.

    Each group is (index of the range of its last piece, its time ranges, its number of
    pieces): the pieces of one range inside a group are joined into one range (they are
    contiguous).
    """
    size = max(1, -(-len(pieces) // max(max_draws, 1)))
    out: list[tuple[int, list[TimeRange], int]] = []
    for r, piece in pieces:
        if out and out[-1][2] < size:
            last_r, times, count = out[-1]
            if last_r == r:
                times[-1] = TimeRange(times[-1].start, piece.end)
            else:
                times.append(piece)
            out[-1] = (r, times, count + 1)
        else:
            out.append((r, [piece], 1))
    return out


def by_pieces(
    histogram: Callable[..., Hist2D],
    key: StoreKey,
    sel: Selection,
    max_rows: int | None,
    progress: Progress,
    **params: Any,
) -> Hist2D:
    """Draw ``histogram(key, sel, max_rows=max_rows, **params)`` piece by piece.

    The row limit ``max_rows`` is checked once on the whole selection, as one call would.
    Whole-day pieces are memoized calls (the key of a one-day view); other pieces run
    uncached.  Beyond :data:`MAX_DRAWS` pieces, consecutive pieces (of one range or of
    several) are drawn together, memoized when all are whole days.  ``progress`` gets a
    :class:`Step` before the first piece (nothing done) and after each draw; the draws are
    summed as they arrive (memory of one histogram).

    Raises
    ------
    SelectionTooLargeError
        When the whole selection holds more than ``max_rows`` store rows.
    """
    pieces = _numbered_pieces(sel.times)
    n_ranges, n_pieces = len(sel.times), len(pieces)
    progress(Step(0, n_ranges, 0, n_pieces, 0))
    if n_pieces <= 1:
        out = histogram(key, sel, max_rows=max_rows, **params)
        progress(Step(n_ranges, n_ranges, n_pieces, n_pieces, out.n_selected))
        return out
    if max_rows is not None:
        rows = estimate_cost(key.data_dir, sel.times).events
        check_row_limit(rows, max_rows, "events", scans="one view scans")
    raw = getattr(histogram, "uncached", histogram)
    total = HistogramSum()
    groups = _grouped(pieces, MAX_DRAWS)
    done_pieces = 0
    for g, (r, times, count) in enumerate(groups):
        draw = histogram if all(_whole_day(t) for t in times) else raw
        total.add(draw(key, replace(sel, times=tuple(times)), max_rows=max_rows, **params))
        done_pieces += count
        last = g + 1 == len(groups)
        done = r + 1 if last or pieces[done_pieces][0] != r else r
        progress(Step(done, n_ranges, done_pieces, n_pieces, total.n_selected))
    return total.result()
