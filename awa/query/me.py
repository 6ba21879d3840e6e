"""Matrix-element queries: box totals over a selection, chosen-box timelines and the cycles
themselves with their housekeeping context (no Dash).

The ME store holds one row per instrument cycle in the science team's layout (spec sections 6
and 7): a DatetimeIndex ``SpinStartTime`` (the PyTables field ``index``), ``L``, and the
integer column labels 0..511, which pandas writes as one 2-D ``values_block`` field whose
labels are the table attribute ``<block>_kind``.  :func:`me_block_layout` is the one place
that decodes that layout; the cycle's ``CSHK`` is an AWA array beside the table
(``/awa/columns/CSHK``).

The filters that apply to on-board counts (:class:`CycleFilter`) are the per-cycle ones: L
(the ME store's own), and MLT, Dst, Kp, PAPS, DPU mode, TAC slope and PHA priority from the
housekeeping store's row of the same cycle start time (:func:`hk_context`).  The E/Q step
changes from spin to spin inside a cycle while the DPU sums the counts over the whole cycle,
so an E/Q range keeps a cycle only when *every* spin of it (rates store, spins from the cycle
start to the next cycle) has its step inside the range (:func:`cycle_steps`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import schema, table_columns
from awa.model import Selection, TimeRange
from awa.query.downsample import decimate
from awa.query.masks import context_mask, in_range
from awa.query.results import MeSeries, MeTotals
from awa.query.store import (
    StoreKey,
    bisect_time,
    check_row_limit,
    get_extras,
    get_table,
    row_ranges,
)

#: HK columns kept per cycle as the filters' context (the team's HK columns, spec section 7),
#: then AWA's ``MLTH`` beside the HK table.
HK_CONTEXT = (
    "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "MAGLAT", "MAGLON", "Dst", "Kp",
)  # fmt: skip
#: Longest span of one cycle's spins after its start, s (32 spins of at most about 6.5 s;
#: spec section 2): spins later than this, or at or after the next cycle's start, are not
#: the cycle's.
CYCLE_SPAN_S = 210.0
_NS = 1_000_000_000


@dataclass(frozen=True)
class CycleFilter:
    """The filters of a selection that apply to whole cycles (hashable; spec sections 2, 7).

    Ranges are inclusive ``(low, high)`` and sets sorted tuples, as in
    :class:`awa.model.Selection`; None means no restriction.
    """

    l_range: tuple[float, float] | None = None
    mlt_range: tuple[float, float] | None = None
    dst_range: tuple[float, float] | None = None
    kp_range: tuple[float, float] | None = None
    paps_levels: tuple[int, ...] | None = None
    dpu_modes: tuple[int, ...] | None = None
    tac_slopes: tuple[int, ...] | None = None
    pha_priorities: tuple[int, ...] | None = None
    vstep_range: tuple[float, float] | None = None

    @classmethod
    def of(cls, sel: Selection) -> CycleFilter:
        """The per-cycle filters of ``sel``."""
        return cls(**{f.name: getattr(sel, f.name) for f in fields(cls)})

    @property
    def needs_hk(self) -> bool:
        """True when a filter reads the housekeeping store."""
        return any(
            getattr(self, name) is not None
            for name in ("mlt_range", "dst_range", "kp_range", "paps_levels", "dpu_modes",
                         "tac_slopes", "pha_priorities")
        )  # fmt: skip

    def as_selection(self) -> Selection:
        """A :class:`Selection` with these filters and no other (for masks and captions)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        # the PHA event and spin-relation filters are off: they never apply to cycles
        return replace(
            Selection(**values),
            triples_only=False, reject_tof1019=False, reject_range3=False,
            reject_ssd_high=False, sum_br_le_dcr=False, br2_le_tcr=False, rn_le_brn=False,
        )  # fmt: skip

    def describe(self) -> str:
        """One line naming the filters (``Selection.describe`` wording); empty when none."""
        return self.as_selection().describe()


def as_cycle_filter(value: CycleFilter | tuple[float, float] | None) -> CycleFilter:
    """A :class:`CycleFilter` from itself, a bare L range (Earth radii) or None (no filter)."""
    if isinstance(value, CycleFilter):
        return value
    return CycleFilter(l_range=None if value is None else (float(value[0]), float(value[1])))


def not_applied(sel: Selection) -> str:
    """The filters of ``sel`` that select PHA events and cannot apply to ME cycles."""
    cleared: dict[str, Any] = {f.name: None for f in fields(CycleFilter)}
    return replace(sel, **cleared).describe()


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


def filters_caption(sel: Selection) -> str:
    """Caption text: which filters apply to the ME cycles, how, and which do not."""
    filt = CycleFilter.of(sel)
    applied = filt.describe() or "none"
    steps = (
        " E/Q step: a cycle is kept only when every spin of it has its step in the range "
        "(the ME counts are summed over the cycle's whole voltage sweep, so a range "
        "narrower than the sweep keeps only cycles held at fixed steps)."
        if filt.vstep_range is not None
        else ""
    )
    return (
        f"Filters applied per cycle: {applied} (L from the ME store; MLT, Dst, Kp, PAPS, DPU, "
        f"TAC and priority from the cycle's housekeeping).{steps} Not applied (they select "
        f"PHA events, not on-board counts): {not_applied(sel) or 'none'}."
    )


def _cycle_ranges(
    table: tables.Table, times: tuple[TimeRange, ...], max_rows: int | None
) -> list[tuple[int, int]]:
    """Row ranges of the ME table inside ``times``, within the row limit."""
    ranges = row_ranges(table, times)
    check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "cycles")
    return ranges


def _empty_context(n: int) -> dict[str, npt.NDArray[Any]]:
    out: dict[str, npt.NDArray[Any]] = {
        name: np.zeros(n, dtype=schema.HK_COLUMNS[name]) for name in HK_CONTEXT
    }
    out["MLTH"] = np.full(n, np.nan, dtype=np.float32)
    out["found"] = np.zeros(n, dtype=bool)
    return out


def hk_context(
    data_dir: str | Path, me_table: tables.Table, t_ns: npt.NDArray[np.int64], row0: int
) -> dict[str, npt.NDArray[Any]]:
    """The housekeeping row of each ME cycle: the HK row with the same cycle start time.

    Parameters
    ----------
    data_dir : str or Path
        Store folder.
    me_table : tables.Table
        The ME table the cycles come from.
    t_ns : int64 array (n,)
        Cycle start times of ME rows ``row0 .. row0 + n - 1`` (sorted, ns since 1970).
    row0 : int
        ME row of ``t_ns[0]``.

    Returns
    -------
    dict of arrays (n,)
        ``HK_CONTEXT`` columns (their stored dtypes) and ``MLTH`` (hours), and ``found``:
        False where the HK store has no row at that time (the values there are meaningless).
        Cycles sharing one start time (repeated times are kept, spec section 2) take the HK
        rows of that time in order, the first one when the HK store has fewer.

    Raises
    ------
    StoreMissingError
        When the HK store is missing.
    """
    n = len(t_ns)
    hk = get_table(data_dir, schema.HK_STORE)
    if n == 0:
        return _empty_context(0)
    lo = bisect_time(hk, int(t_ns[0]))
    hi = bisect_time(hk, int(t_ns[-1]) + 1)
    if hi <= lo:
        return _empty_context(n)
    rows = hk.read(lo, hi)
    mlth = get_extras(hk, ["MLTH"], lo, hi)["MLTH"]
    ht = rows[table_columns.time_field(hk)].astype(np.int64)
    # rank of each cycle among the cycles with its start time (the first group may begin
    # before row0)
    first = np.searchsorted(t_ns, t_ns, "left")
    rank = np.arange(n) - first
    rank[first == 0] += row0 - bisect_time(me_table, int(t_ns[0]))
    left = np.searchsorted(ht, t_ns, "left")
    idx = np.minimum(left + rank, len(ht) - 1)
    same = ht[idx] == t_ns
    idx = np.where(same, idx, np.minimum(left, len(ht) - 1))
    out: dict[str, npt.NDArray[Any]] = {name: rows[name][idx] for name in HK_CONTEXT}
    out["MLTH"] = mlth[idx]
    out["found"] = ht[idx] == t_ns
    return out


def cycle_steps(
    data_dir: str | Path, t_ns: npt.NDArray[np.int64], t_next: int | None
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """Lowest and highest E/Q step of the spins of each cycle (rates store; spec section 2).

    A cycle's spins are those from its start time up to the next cycle's start (``t_next``
    after the last cycle given, None: none) and at most :data:`CYCLE_SPAN_S` after it.

    Returns
    -------
    low, high : int16 arrays (n,)
        Steps 0-63; a cycle with no spin in the rates store has low 64 and high -1 (no
        step range contains it).
    """
    n = len(t_ns)
    low = np.full(n, 64, dtype=np.int16)
    high = np.full(n, -1, dtype=np.int16)
    if n == 0:
        return low, high
    span = int(CYCLE_SPAN_S * _NS)
    ends = np.minimum(t_ns + span, np.append(t_ns[1:], t_next if t_next is not None else
                                                 int(t_ns[-1]) + span))  # fmt: skip
    rates = get_table(data_dir, schema.RATES_STORE)
    lo = bisect_time(rates, int(t_ns[0]))
    hi = bisect_time(rates, int(ends.max()))
    if hi <= lo:
        return low, high
    rows = rates.read(lo, hi)
    spin_t = rows["SpinStartTime"].astype(np.int64)
    step = rows["Voltage_Step"].astype(np.int16)
    cyc = np.searchsorted(t_ns, spin_t, "right") - 1
    ok = cyc >= 0
    ok[ok] &= spin_t[ok] < ends[cyc[ok]]
    np.minimum.at(low, cyc[ok], step[ok])
    np.maximum.at(high, cyc[ok], step[ok])
    return low, high


def cycle_mask(
    filt: CycleFilter,
    l_values: npt.NDArray[Any],
    context: dict[str, npt.NDArray[Any]] | None,
    steps: tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]] | None,
) -> npt.NDArray[np.bool_]:
    """Cycles passing ``filt``: L, the HK filters on ``context`` (cycles without an HK row
    fail them) and the E/Q range on ``steps`` (every spin's step inside the range)."""
    keep = np.ones(len(l_values), dtype=bool)
    if filt.l_range is not None:
        keep &= in_range(l_values, filt.l_range)
    if filt.needs_hk:
        assert context is not None
        hk_only = replace(filt, l_range=None, vstep_range=None).as_selection()
        rows = {**context, "L": l_values, "Voltage_Step": np.zeros(len(l_values))}
        keep &= context["found"] & context_mask(rows, hk_only)
        for name, bounds in (("Dst", filt.dst_range), ("Kp", filt.kp_range)):
            if bounds is not None:
                keep &= in_range(context[name], bounds)
    if filt.vstep_range is not None:
        assert steps is not None
        keep &= (steps[0] >= filt.vstep_range[0]) & (steps[1] <= filt.vstep_range[1])
    return keep


@dataclass(frozen=True)
class CycleChunk:
    """Selected science cycles of one chunk: times (int64 ns), L, counts (n, 512) and,
    when asked for, the HK context (:func:`hk_context`)."""

    t_ns: npt.NDArray[np.int64]
    l_values: npt.NDArray[np.float32]
    counts: npt.NDArray[np.int32]
    context: dict[str, npt.NDArray[Any]] | None


def iter_me_cycles(
    data_dir: str | Path,
    times: tuple[TimeRange, ...],
    filters: CycleFilter | tuple[float, float] | None,
    max_rows: int | None = None,
    chunk_rows: int = 20_000,
    with_context: bool = False,
) -> Iterator[CycleChunk]:
    """The science cycles (CSHK 0) inside ``times`` passing ``filters``, chunk by chunk.

    Parameters
    ----------
    data_dir : str or Path
        Store folder.
    times : tuple of TimeRange
        Time ranges, UTC.
    filters : CycleFilter, (float, float) or None
        Per-cycle filters (a bare L range, Earth radii, or None: none).
    max_rows : int, optional
        Largest number of cycles in the time ranges; more raises
        :class:`SelectionTooLargeError` before anything is yielded.
    chunk_rows : int
        Cycles read at once (memory: about 2 kB a cycle).
    with_context : bool
        Attach each cycle's HK context (``CycleChunk.context``).

    Raises
    ------
    StoreMissingError, SelectionTooLargeError
        Raised on the first ``next()``, before any chunk.
    """
    filt = as_cycle_filter(filters)
    table = get_table(data_dir, schema.ME_STORE)
    ranges = _cycle_ranges(table, times, max_rows)
    if filt.needs_hk or with_context:
        get_table(data_dir, schema.HK_STORE)  # a missing store fails before any chunk
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            c1 = min(c0 + chunk_rows, hi)
            t, l_values, cshk, values = read_cycles(table, c0, c1)
            context = (hk_context(data_dir, table, t, c0)
                       if filt.needs_hk or with_context else None)  # fmt: skip
            steps = None
            if filt.vstep_range is not None:
                t_next = int(table.read(c1, c1 + 1)["index"][0]) if c1 < table.nrows else None
                steps = cycle_steps(data_dir, t, t_next)
            keep = (cshk == 0) & cycle_mask(filt, l_values, context, steps)
            kept = None if context is None or not with_context else {
                k: v[keep] for k, v in context.items()
            }  # fmt: skip
            yield CycleChunk(t[keep], l_values[keep], values[keep], kept)


@cached
def me_totals(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    filters: CycleFilter | tuple[float, float] | None,
    max_rows: int | None = None,
    chunk_rows: int = 20_000,
) -> MeTotals:
    """Sum ME0..ME511 over the science cycles (CSHK 0) inside the time ranges passing the
    per-cycle filters (:class:`CycleFilter`, or a bare L range).

    Returns
    -------
    MeTotals
        Counts per matrix element (counts summed over cycles, spec section 6).
    """
    counts = np.zeros(schema.N_ME)
    n = 0
    for chunk in iter_me_cycles(key.data_dir, times, filters, max_rows, chunk_rows):
        n += len(chunk.t_ns)
        counts += chunk.counts.sum(axis=0, dtype=np.float64)
    return MeTotals(counts, n)


@cached
def me_timeline(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    filters: CycleFilter | tuple[float, float] | None,
    boxes: tuple[int, ...],
    points: int | None = 2000,
    max_rows: int | None = None,
    chunk_rows: int = 50_000,
) -> MeSeries:
    """Counts of the chosen ME boxes per science cycle (CSHK 0) passing the filters.

    Parameters
    ----------
    key : StoreKey
        Store folder (memoization key).
    times : tuple of TimeRange
        Time ranges, UTC.
    filters : CycleFilter, (float, float) or None
        Per-cycle filters (:class:`CycleFilter`), a bare inclusive L range in Earth radii,
        or None (every science cycle).
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
    chosen = np.zeros(schema.N_ME, dtype=bool)
    chosen[list(boxes)] = True
    t_parts, c_parts = [], []
    for chunk in iter_me_cycles(key.data_dir, times, filters, max_rows, chunk_rows):
        t_parts.append(chunk.t_ns)
        c_parts.append(chunk.counts[:, chosen].sum(axis=1, dtype=np.float64))
    t_ns = np.concatenate(t_parts) if t_parts else np.zeros(0, dtype=np.int64)
    counts = np.concatenate(c_parts) if c_parts else np.zeros(0)
    total = float(counts.sum())
    n = int(counts.size)
    t_ns, counts = decimate(t_ns, counts, points)
    return MeSeries(t_ns, counts, tuple(boxes), n, total)
