"""Matrix-element queries: box totals over a selection and chosen-box timelines (no Dash).

The ME store holds one row per instrument cycle in the science team's layout (spec sections 6
and 7): a DatetimeIndex ``SpinStartTime`` (the PyTables field ``index``), ``L``, and the
integer column labels 0..511, which pandas writes as one 2-D ``values_block`` field whose
labels are the table attribute ``<block>_kind``.  :func:`me_block_layout` is the one place
that decodes that layout; the cycle's ``CSHK`` is an AWA array beside the table
(``/awa/columns/CSHK``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import schema, table_columns
from awa.model import TimeRange
from awa.query.downsample import decimate
from awa.query.masks import in_range
from awa.query.results import MeSeries, MeTotals
from awa.query.store import (
    FloatArray,
    StoreKey,
    check_row_limit,
    get_extras,
    get_table,
    row_ranges,
)


def me_block_layout(table: tables.Table) -> list[tuple[str, npt.NDArray[np.int64]]]:
    """Each ``values_block`` field of an ME table and the ME number of each of its columns.

    Each column is placed by its label (the integers 0..511, kept by pandas in the table
    attribute ``<block>_kind``), whatever the blocks' order.  Numbers below
    :data:`awa.chem.schema.N_ME_BOXES` are boxes (spec section 6).
    """
    return [
        (block, np.array([int(label) for label in labels], dtype=np.int64))
        for block, labels in table_columns.block_labels(table).items()
    ]


def read_cycles(
    table: tables.Table, lo: int, hi: int
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.int16], npt.NDArray[np.int32]
]:
    """Cycles ``[lo, hi)`` of the ME table: times (int64 ns), L, CSHK and counts (n, 512).

    One read of whole rows; the counts are the value blocks placed by label, so that column
    ``i`` is ME ``i`` (int32 counts per cycle).  pandas writes the 512 labels as one block in
    order, which is then used as it is.
    """
    rows = table.read(lo, hi)
    layout = me_block_layout(table)
    if len(layout) == 1 and np.array_equal(layout[0][1], np.arange(schema.N_ME)):
        counts = rows[layout[0][0]].reshape(len(rows), schema.N_ME)
    else:
        counts = np.zeros((len(rows), schema.N_ME), dtype=np.int32)
        for block, where in layout:
            counts[:, where] = rows[block].reshape(len(rows), -1)
    cshk = get_extras(table, ["CSHK"], lo, hi)["CSHK"]
    return rows["index"].astype(np.int64), rows["L"], cshk, counts


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
    counts = np.zeros(schema.N_ME)
    n = 0
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            _, l_values, cshk, values = read_cycles(table, c0, min(c0 + chunk_rows, hi))
            keep = cshk == 0
            if l_range is not None:
                keep &= in_range(l_values, l_range)
            n += int(keep.sum())
            counts += values[keep].sum(axis=0, dtype=np.float64)
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
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            t, l_values, cshk, values = read_cycles(table, c0, min(c0 + chunk_rows, hi))
            keep = cshk == 0
            if l_range is not None:
                keep &= in_range(l_values, l_range)
            total = values[keep][:, chosen].sum(axis=1, dtype=np.float64)
            yield t[keep], l_values[keep], total


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
