"""Matrix-element queries beyond the box totals: chosen-box timelines and the ME CSV (no Dash).

The ME store holds one row per instrument cycle (cycle start time, L, CSHK and ME0..ME511;
spec sections 6 and 7).  :func:`awa.query.me_totals` sums every box over a selection; this
module adds the sum of chosen boxes per cycle (the ME timeline) and the CSV of the box totals
with each box's limits, so that a download reproduces the picture.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import tables

from awa import physics, query, schema
from awa.cache import cached
from awa.filters import AppState, FilterError, TimeRange, to_query

FloatArray = npt.NDArray[np.float64]

#: Box numbers of the ME grid (ME 491-511 are not boxes, spec section 6).
ALL_BOXES: tuple[int, ...] = tuple(range(schema.N_ME_BOXES))


def parse_boxes(text: str | None) -> tuple[int, ...]:
    """Parse a list of ME boxes such as ``"55, 90, 252-256"`` (``all`` or empty: every box).

    Parameters
    ----------
    text : str or None
        Box numbers 0-490 and inclusive ranges ``a-b``, separated by commas or spaces.

    Returns
    -------
    tuple of int
        Sorted, distinct box numbers.

    Raises
    ------
    FilterError
        A number outside 0-490 or a malformed item (the message says what is accepted).
    """
    t = (text or "").strip().lower()
    if t in ("", "all"):
        return ALL_BOXES
    accepted = "box numbers 0-490 and ranges such as 252-256, separated by commas"
    out: set[int] = set()
    for item in (p for p in re.split(r"[,;\s]+", t) if p):
        m = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", item)
        if m is None:
            raise FilterError("boxes", f"{item!r} is not a box; accepted: {accepted}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi or hi >= schema.N_ME_BOXES:
            raise FilterError("boxes", f"{item!r} is outside 0-490; accepted: {accepted}")
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def format_boxes(boxes: tuple[int, ...]) -> str:
    """Inverse of :func:`parse_boxes`: runs of consecutive boxes as ``a-b`` (``all``)."""
    if tuple(boxes) == ALL_BOXES:
        return "all"
    parts: list[str] = []
    arr = np.asarray(sorted(boxes), dtype=np.int64)
    if arr.size == 0:
        return ""
    breaks = np.flatnonzero(np.diff(arr) != 1) + 1
    for run in np.split(arr, breaks):
        a, b = int(run[0]), int(run[-1])
        parts.append(str(a) if a == b else f"{a}-{b}")
    return ",".join(parts)


def _block_positions(table: tables.Table) -> list[tuple[str, npt.NDArray[np.int64]]]:
    """Each ``values_block`` field of the ME table and the ME number of its columns."""
    out = []
    for name in table.colnames:
        if name.startswith("values_block"):
            kinds = table.attrs[f"{name}_kind"]
            out.append((name, np.array([int(str(k)[2:]) for k in kinds], dtype=np.int64)))
    return out


def _check_size(table: tables.Table, times: tuple[TimeRange, ...], max_rows: int | None) -> Any:
    ranges = query.row_ranges(table, times)
    total = sum(hi - lo for lo, hi in ranges)
    if max_rows is not None and total > max_rows:
        raise query.SelectionTooLargeError(
            f"the time range holds {total:,} cycles; choose a shorter time range"
        )
    return ranges


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
    positions = _block_positions(table)
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            keep = rows["CSHK"] == 0
            if l_range is not None:
                keep &= (rows["L"] >= l_range[0]) & (rows["L"] <= l_range[1])
            total = np.zeros(int(keep.sum()))
            for name, where in positions:
                cols = chosen[where]
                if cols.any():
                    block = rows[name].reshape(len(rows), -1)[keep][:, cols]
                    total += block.sum(axis=1, dtype=np.float64)
            t = rows["SpinStartTime"][keep].astype(np.int64)
            yield t, rows["L"][keep], total


@cached
def me_timeline(
    key: query.StoreKey,
    times: tuple[TimeRange, ...],
    l_range: tuple[float, float] | None,
    boxes: tuple[int, ...],
    points: int = 2000,
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
    points : int
        Longest trace returned; longer ones keep each bucket's minimum and maximum.

    Returns
    -------
    MeSeries
        Counts per cycle (counts / cycle of about 32 spins).
    """
    table = query.get_table(key.data_dir, schema.ME_STORE)
    ranges = _check_size(table, times, max_rows)
    t_parts, c_parts = [], []
    for t, _, c in _iter_cycles(table, ranges, l_range, boxes, chunk_rows):
        t_parts.append(t)
        c_parts.append(c)
    t_ns = np.concatenate(t_parts) if t_parts else np.zeros(0, dtype=np.int64)
    counts = np.concatenate(c_parts) if c_parts else np.zeros(0)
    total = float(counts.sum())
    n = int(counts.size)
    t_ns, counts = query.decimate(t_ns, counts, points)
    return MeSeries(t_ns, counts, tuple(boxes), n, total)


def box_table(counts: FloatArray) -> pd.DataFrame:
    """The ME boxes with their limits and ``counts`` (array of 512, ME0..ME511).

    Columns: ``me``, ``kind``, ``nq_lo``, ``nq_hi``, ``nm_lo``, ``nm_hi`` (DPU indices,
    inclusive), ``mpq_lo``, ``mpq_hi`` (amu/e), ``mass_lo``, ``mass_hi`` (amu; none for
    doubles), ``counts``.
    """
    if len(counts) < schema.N_ME_BOXES:
        raise ValueError(f"expected {schema.N_ME} ME counts, got {len(counts)}")
    boxes = physics.me_boxes()
    double = (boxes["kind"] == "double").to_numpy()
    return pd.DataFrame(
        {
            "me": boxes["me"],
            "kind": boxes["kind"],
            "nq_lo": boxes["nq_lo"],
            "nq_hi": boxes["nq_lo"] + boxes["width"] - 1,
            "nm_lo": boxes["nm_lo"].where(~double),
            "nm_hi": (boxes["nm_lo"] + boxes["height"] - 1).where(~double),
            "mpq_lo": boxes["mpq_lo"],
            "mpq_hi": boxes["mpq_hi"],
            "mass_lo": boxes["mass_lo"].where(~double),
            "mass_hi": boxes["mass_hi"].where(~double),
            "counts": np.asarray(counts[: schema.N_ME_BOXES], dtype=np.float64),
        }
    )


def me_csv(totals: query.MeTotals, state: AppState, title: str) -> str:
    """CSV text of the ME box totals: ``#`` header lines, then one row per box (0-490)."""
    out = io.StringIO()
    sel = state.selection
    l_text = f"L {sel.l_range[0]:g}-{sel.l_range[1]:g}" if sel.l_range else "all L"
    out.write(f"# PLOTTITLE: {title}\n# Filters: {l_text}; science cycles (CSHK 0)\n")
    out.write(f"# Query: {to_query(state)}\n# KIND: me\n# CYCLES: {totals.n_cycles}\n")
    out.write("# Units: M/Q in amu/e, mass in amu, counts summed over the cycles; NQ = x - 1, ")
    out.write("NM = y - 1 (DPU indices, spec section 6); doubles have no mass\n")
    box_table(totals.counts).to_csv(out, index=False, float_format="%.6g", lineterminator="\n")
    return out.getvalue()


def me_timeline_csv(series: MeSeries, state: AppState) -> str:
    """CSV text of an ME timeline (time, counts of the chosen boxes per cycle)."""
    out = io.StringIO()
    out.write(f"# PLOTTITLE: ME timeline, boxes {format_boxes(series.boxes)}\n")
    out.write(f"# Query: {to_query(state)}\n# KIND: me_timeline\n")
    out.write(f"# CYCLES: {series.n_cycles}\n")
    out.write("time_utc,counts_per_cycle\n")
    stamps = pd.to_datetime(series.t_ns).strftime("%Y-%m-%dT%H:%M:%S")
    for s, c in zip(stamps, series.counts, strict=True):
        out.write(f"{s},{c:.10g}\n")
    return out.getvalue()


def _parse_pair(text: str, name: str, lo: float, hi: float) -> tuple[float, float]:
    """``"a,b"`` (also ``a b``, ``1e4``) -> (a, b) with ``lo <= a < b <= hi``."""
    accepted = f"two numbers 'low,high' with {lo:g} <= low < high <= {hi:g}"
    parts = [p for p in re.split(r"[,;\s]+", text.strip()) if p]
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise FilterError(name, f"{text!r} is not a range; accepted: {accepted}") from None
    if not (np.isfinite(a) and np.isfinite(b) and lo <= a < b <= hi):
        raise FilterError(name, f"{text!r} is out of bounds; accepted: {accepted}")
    return (a, b)


@dataclass(frozen=True)
class MeOptions:
    """How the ME view is drawn: colour limits (counts), axis window and the timeline's boxes."""

    z_range: tuple[float, float] | None = None
    mpq_range: tuple[float, float] | None = None
    mass_range: tuple[float, float] | None = None
    boxes: tuple[int, ...] = ALL_BOXES


def parse_me_options(
    z_text: str | None, mpq_text: str | None, mass_text: str | None, boxes_text: str | None
) -> tuple[MeOptions, list[str]]:
    """Parse the ME view's inputs; a bad value is skipped (default kept) with a message.

    Parameters
    ----------
    z_text : str
        Colour limits ``low,high`` in counts (empty or ``auto``: 1 to the largest box).
    mpq_text, mass_text : str
        Axis windows ``low,high`` in amu/e and amu (empty: the whole grid).
    boxes_text : str
        Boxes of the ME timeline (:func:`parse_boxes`).
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    for attr, name, text, lo, hi in (
        ("z_range", "colour", z_text, 0.0, 1e15),
        ("mpq_range", "M/Q window", mpq_text, 0.01, 1000.0),
        ("mass_range", "mass window", mass_text, 0.01, 1000.0),
    ):
        t = (text or "").strip().lower()
        if t in ("", "auto", "all"):
            continue
        try:
            values[attr] = _parse_pair(t, name, lo, hi)
        except FilterError as exc:
            errors.append(str(exc))
    try:
        values["boxes"] = parse_boxes(boxes_text)
    except FilterError as exc:
        errors.append(str(exc))
    return MeOptions(**values), errors
