"""Event scans: selected PHA events from the store (:func:`iter_events`) or the sidecar.

The store path reads whole rows chunk by chunk and masks them; the sidecar path
(:mod:`awa.chem.sidecar`) evaluates the spin-level filters per run and reads only the HDF5
chunks that hold selected runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.chem import schema, table_columns
from awa.chem.sidecar import CHUNK, Sidecar
from awa.model import Selection
from awa.query.masks import (
    CONTEXT_COLUMNS,
    DETECTOR_COLUMNS,
    RATE_JOIN,
    SidecarRates,
    StoreRates,
    context_mask,
    detector_mask,
    event_mask,
    join_rates,
)
from awa.query.store import check_row_limit, get_table, row_ranges

#: Runs read per scan segment (bounds memory: at most 86 events per spin).
SEGMENT_RUNS = 16_384
#: Largest block of rows yielded at once (whole HDF5 chunks): small enough that counting a
#: block in a second thread overlaps the read of the next one even in a one-day scan.
BLOCK_ROWS = 2 * CHUNK


def set_scan_threads(n: int) -> int:
    """Use ``n`` Blosc threads to decompress the sidecar's chunks; returns the previous number.

    Raises
    ------
    ValueError
        When ``n`` is not positive.
    """
    if n < 1:
        raise ValueError(f"scan threads must be positive, got {n}")
    return int(tables.set_blosc_max_threads(n))


@dataclass(frozen=True)
class Block:
    """Consecutive PHA rows of a scan: columns read and the mask of the selected events.

    ``values`` holds the requested event columns and the requested run (spin-level) and
    rates columns expanded to one value per event; rates columns are float64 with NaN where
    the spin is absent from the rates store.
    """

    values: dict[str, npt.NDArray[Any]]
    mask: npt.NDArray[np.bool_]
    #: The run (spin-level) columns of the runs around the block, ``run_starts`` their first
    #: PHA rows and ``row0`` the block's first PHA row (see :meth:`run_values`).
    runs: dict[str, npt.NDArray[Any]] | None = None
    run_starts: npt.NDArray[np.int64] | None = None
    row0: int = 0

    def run_values(self, name: str, positions: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
        """Run column ``name`` of the events at ``positions`` in the block (few events).

        Raises
        ------
        KeyError
            When the scan did not read run column ``name``.
        """
        if self.runs is None or self.run_starts is None:
            raise KeyError(name)
        run = np.searchsorted(self.run_starts, positions + self.row0, side="right") - 1
        return self.runs[name][run]


def _needed_spans(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], lo: int, hi: int
) -> list[tuple[int, int]]:
    """Row spans inside [lo, hi) covering the HDF5 chunks that hold rows [starts, ends)."""
    c_lo = lo // CHUNK
    n_chunks = (hi - 1) // CHUNK + 1 - c_lo
    a = starts // CHUNK - c_lo
    b = (ends - 1) // CHUNK - c_lo + 1
    depth = np.cumsum(
        np.bincount(a, minlength=n_chunks + 1) - np.bincount(b, minlength=n_chunks + 1)
    )[:n_chunks]
    need = np.concatenate([[False], depth > 0, [False]])
    edges = np.flatnonzero(need[1:] != need[:-1])
    spans: list[tuple[int, int]] = []
    for g0, g1 in zip(edges[::2], edges[1::2], strict=True):
        first = max(lo, int(g0 + c_lo) * CHUNK)
        last = min(hi, int(g1 + c_lo) * CHUNK)
        cuts = range((first // BLOCK_ROWS + 1) * BLOCK_ROWS, last, BLOCK_ROWS)
        bounds = [first, *cuts, last]
        spans.extend(zip(bounds[:-1], bounds[1:], strict=True))
    return spans


def scan(
    side: Sidecar,
    row_ranges: list[tuple[int, int]],
    sel: Selection,
    event_columns: tuple[str, ...],
    run_columns: tuple[str, ...] = (),
    rate_columns: tuple[str, ...] = (),
    *,
    detector: bool = True,
) -> Iterator[Block]:
    """Yield the PHA rows of ``row_ranges`` that may hold selected events, block by block.

    Spin-level filters of ``sel`` (L, MLT, E/Q step, PAPS, DPU, TAC, priority) and its rate
    filters are evaluated per run; runs that fail are not read at all (whole HDF5 chunks
    without a selected run are skipped).  The event-level filters are applied to each block
    (:func:`awa.query.masks.detector_mask`).  Memory is bounded by :data:`SEGMENT_RUNS` runs.

    Parameters
    ----------
    side : Sidecar
        The validated sidecar.
    row_ranges : list of (int, int)
        PHA store rows ``[lo, hi)`` (from the time ranges; each starts a run).
    sel : awa.model.Selection
        The filters.
    event_columns, run_columns, rate_columns : tuple of str
        Columns to return per event (the filters read what they need themselves).
    detector : bool
        Apply the event-level filters to ``Block.mask``.  False: the mask holds the
        spin-level filters only and ``values`` also holds the ``DETECTOR_COLUMNS``, for a
        caller that applies :func:`awa.query.masks.detector_tables` itself.
    """
    event_need = tuple(dict.fromkeys(event_columns + DETECTOR_COLUMNS))
    run_need = tuple(dict.fromkeys(run_columns + CONTEXT_COLUMNS + ("SpinStartTime",)))
    rate_need = tuple(rate_columns)
    rates_source = SidecarRates(side)
    n_runs = side.n_runs
    start_node = side.node("/pha/runs/start")
    for lo, hi in row_ranges:
        r0, r1 = side.run_of_row(lo), side.run_of_row(hi)
        for s0 in range(r0, r1, SEGMENT_RUNS):
            s1 = min(s0 + SEGMENT_RUNS, r1)
            runs = side.read("pha/runs", run_need, s0, s1)
            bounds = np.asarray(start_node[s0 : min(s1 + 1, n_runs)], dtype=np.int64)
            if len(bounds) == s1 - s0:
                bounds = np.append(bounds, side.n_events)
            ok = context_mask(runs, sel)
            rates: dict[str, npt.NDArray[Any]] = {}
            if (sel.needs_rates and ok.any()) or rate_need:
                rate_ok, rates = join_rates(rates_source, runs["SpinStartTime"], sel, rate_need)
                if sel.needs_rates:
                    ok &= rate_ok
            if not ok.any():
                continue
            starts, ends = bounds[:-1], bounds[1:]
            seg_lo, seg_hi = int(bounds[0]), int(bounds[-1])
            lengths = ends - starts
            ev_ok = np.repeat(ok, lengths)
            per_event = {c: np.repeat(runs[c], lengths) for c in run_columns}
            per_event.update({c: np.repeat(v, lengths) for c, v in rates.items()})
            for a, b in _needed_spans(starts[ok], ends[ok], seg_lo, seg_hi):
                cols = side.read("pha/events", event_need, a, b)
                mask = ev_ok[a - seg_lo : b - seg_lo]
                if detector:
                    mask = mask & detector_mask(cols, sel)
                    values = {c: cols[c] for c in event_columns}
                else:
                    values = dict(cols)
                values.update({c: v[a - seg_lo : b - seg_lo] for c, v in per_event.items()})
                yield Block(values, mask, runs, starts, a)


def iter_events(
    data_dir: str | Path,
    sel: Selection,
    with_rates: bool = False,
    chunk_rows: int = 2_000_000,
    max_rows: int | None = None,
    spec: schema.StoreSpec = schema.PHA_STORE,
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """Yield the selected PHA events chunk by chunk, as ``{column: array}``.

    Parameters
    ----------
    data_dir : path
        Store folder.
    sel : Selection
        The filters.
    with_rates : bool
        Also join ``RATE_JOIN`` columns of each event's spin (float64, NaN when absent).
    chunk_rows : int
        Rows read per chunk (bounds memory).
    max_rows : int, optional
        Largest number of rows scanned; more raises :class:`SelectionTooLargeError`.

    Yields
    ------
    dict
        PHA columns (store dtypes, ``SpinStartTime`` as int64 ns) and joined rates.
    """
    folder = str(Path(data_dir).resolve())
    table = get_table(folder, spec)
    ranges = row_ranges(table, sel.times)
    check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "events", scans="one view scans")
    rates_source: StoreRates | None = None
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table_columns.read_rows(table, c0, min(c0 + chunk_rows, hi))
            mask = event_mask(rows, sel)
            if not mask.any():
                continue
            rows = rows[mask]
            joined: dict[str, npt.NDArray[Any]] = {}
            if sel.needs_rates or with_rates:
                if rates_source is None:
                    rates_source = StoreRates(get_table(folder, schema.RATES_STORE))
                wanted = RATE_JOIN if with_rates else ()
                ok, joined = join_rates(rates_source, rows["SpinStartTime"], sel, wanted)
                if sel.needs_rates:
                    rows = rows[ok]
                    joined = {k: v[ok] for k, v in joined.items()}
                if len(rows) == 0:
                    continue
            out: dict[str, npt.NDArray[Any]] = {
                name: rows[name] for name in rows.dtype.names or () if name != "index"
            }
            out.update(joined)
            yield out
