"""Matrix-element queries: box totals over a selection and chosen-box timelines (no Dash).

The ME store holds one row per instrument cycle (cycle start time, L, CSHK and ME0..ME511;
spec sections 6 and 7), written by pandas as ``values_block_<n>`` fields whose column
names are kept in the table attribute ``<block>_kind``.  :func:`me_block_layout` is the
one place that decodes that layout.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import schema
from awa.model import TimeRange
from awa.query.downsample import decimate
from awa.query.masks import in_range
from awa.query.results import MeSeries, MeTotals
from awa.query.store import FloatArray, StoreKey, check_row_limit, get_table, row_ranges


def me_block_layout(table: tables.Table) -> list[tuple[str, npt.NDArray[np.int64]]]:
    """Each ``values_block`` field of an ME table and the ME number of each of its columns.

    pandas keeps the names of a block's columns (``ME<n>``) in the table attribute
    ``<block>_kind``, in an order that is not ME0..ME511, so each column is placed by its
    name.  Numbers below :data:`awa.chem.schema.N_ME_BOXES` are boxes (spec section 6).
    """
    out = []
    for name in table.colnames:
        if name.startswith("values_block"):
            kinds = table.attrs[f"{name}_kind"]
            out.append((name, np.array([int(str(k)[2:]) for k in kinds], dtype=np.int64)))
    return out


def _cycle_ranges(
    table: tables.Table, times: tuple[TimeRange, ...], max_rows: int | None
) -> list[tuple[int, int]]:
    """Row ranges of the ME table inside ``times``, within the row limit."""
    ranges = row_ranges(table, times)
    check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "cycles")
    return ranges


@cached
def me_totals(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    l_range: tuple[float, float] | None,
    max_rows: int | None = None,
    chunk_rows: int = 20_000,
) -> MeTotals:
    """Sum ME0..ME511 over the science cycles (CSHK 0) inside the time ranges and L range.

    Returns
    -------
    MeTotals
        Counts per matrix element (counts summed over cycles, spec section 6).
    """
    table = get_table(key.data_dir, schema.ME_STORE)
    ranges = _cycle_ranges(table, times, max_rows)
    layout = me_block_layout(table)
    counts = np.zeros(schema.N_ME)
    n = 0
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            keep = rows["CSHK"] == 0
            if l_range is not None:
                keep &= in_range(rows["L"], l_range)
            n += int(keep.sum())
            for block, where in layout:
                values = rows[block].reshape(len(rows), -1)[keep]
                counts[where] += values.sum(axis=0)
    return MeTotals(counts, n)


def _iter_cycles(
    table: tables.Table,
    ranges: list[tuple[int, int]],
    l_range: tuple[float, float] | None,
    boxes: tuple[int, ...],
    chunk_rows: int,
) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], FloatArray]]:
    """(times ns, L, counts of ``boxes``) of the science cycles in ``ranges``, chunk by chunk."""
    chosen = np.zeros(schema.N_ME, dtype=bool)
    chosen[list(boxes)] = True
    layout = me_block_layout(table)
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            keep = rows["CSHK"] == 0
            if l_range is not None:
                keep &= in_range(rows["L"], l_range)
            total = np.zeros(int(keep.sum()))
            for name, where in layout:
                cols = chosen[where]
                if cols.any():
                    block = rows[name].reshape(len(rows), -1)[keep][:, cols]
                    total += block.sum(axis=1, dtype=np.float64)
            t = rows["SpinStartTime"][keep].astype(np.int64)
            yield t, rows["L"][keep], total


@cached
def me_timeline(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    l_range: tuple[float, float] | None,
    boxes: tuple[int, ...],
    points: int | None = 2000,
    max_rows: int | None = None,
    chunk_rows: int = 50_000,
) -> MeSeries:
    """Counts of the chosen ME boxes per science cycle (CSHK 0) inside times and L range.

    Parameters
    ----------
    key : StoreKey
        Store folder (memoization key).
    times : tuple of TimeRange
        Time ranges, UTC.
    l_range : (float, float) or None
        Inclusive L range, Earth radii (None: every L).
    boxes : tuple of int
        ME boxes 0-490 to sum (spec section 6).
    points : int or None
        Longest trace returned; longer ones keep each bucket's minimum and maximum.  None
        returns every cycle (downloads).
    max_rows : int, optional
        Largest number of cycles read; more raises :class:`SelectionTooLargeError`.

    Returns
    -------
    MeSeries
        Counts per cycle (counts / cycle of about 32 spins).
    """
    table = get_table(key.data_dir, schema.ME_STORE)
    ranges = _cycle_ranges(table, times, max_rows)
    t_parts, c_parts = [], []
    for t, _, c in _iter_cycles(table, ranges, l_range, boxes, chunk_rows):
        t_parts.append(t)
        c_parts.append(c)
    t_ns = np.concatenate(t_parts) if t_parts else np.zeros(0, dtype=np.int64)
    counts = np.concatenate(c_parts) if c_parts else np.zeros(0)
    total = float(counts.sum())
    n = int(counts.size)
    t_ns, counts = decimate(t_ns, counts, points)
    return MeSeries(t_ns, counts, tuple(boxes), n, total)
