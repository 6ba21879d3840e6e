"""Matrix-element queries beyond the box totals: chosen-box timelines and the ME CSV (no Dash).

The ME store holds one row per instrument cycle (cycle start time, L, CSHK and ME0..ME511;
spec sections 6 and 7).  :func:`awa.query.me_totals` sums every box over a selection; this
module adds the sum of chosen boxes per cycle (the ME timeline) and the CSV of the box totals
with each box's limits, so that a download reproduces the picture.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import tables

from awa import query
from awa.cache import cached
from awa.chem import physics, schema
from awa.model import (
    ALL_BOXES,
    AppState,
    MeOptions,
    TimeRange,
    format_boxes,
    parse_boxes,
    parse_params,
    to_query,
)

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "ALL_BOXES",
    "MeOptions",
    "MeSeries",
    "box_table",
    "format_boxes",
    "me_csv",
    "me_timeline",
    "me_timeline_csv",
    "parse_boxes",
    "parse_me_options",
]


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


def parse_me_options(
    z_text: str | None, mpq_text: str | None, mass_text: str | None, boxes_text: str | None
) -> tuple[MeOptions, list[str]]:
    """Parse the ME view's inputs as the URL does; a bad value is skipped with a message.

    Parameters
    ----------
    z_text : str
        Colour limits ``low,high`` in counts (URL ``mez``; empty or ``auto``: 1 to the
        largest box).
    mpq_text, mass_text : str
        Axis windows ``low,high`` in amu/e and amu (URL ``mex``, ``mey``; empty: the whole
        grid).
    boxes_text : str
        Boxes of the ME timeline (URL ``boxes``, :func:`awa.model.parse_boxes`).

    Returns
    -------
    options : MeOptions
    errors : list of str
        Messages of the skipped values, each naming its URL parameter.
    """
    texts = {"mez": z_text, "mex": mpq_text, "mey": mass_text, "boxes": boxes_text}
    state, errors = parse_params({k: v or "" for k, v in texts.items()}, strict=False)
    return state.view.me, errors
