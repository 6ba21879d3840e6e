"""Event scans over the column sidecar (see :mod:`awa.chem.sidecar`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from awa.chem.sidecar import CHUNK, Sidecar

#: Runs read per scan segment (bounds memory: at most 86 events per spin).
SEGMENT_RUNS = 16_384
#: Rates rows read beyond a segment's spins, so that whole voltage sweeps are seen.
SWEEP_MARGIN = 130


@dataclass(frozen=True)
class Block:
    """Consecutive PHA rows of a scan: columns read and the mask of the selected events.

    ``values`` holds the requested event columns and the requested run (spin-level) and
    rates columns expanded to one value per event; rates columns are float64 with NaN where
    the spin is absent from the rates store.
    """

    values: dict[str, npt.NDArray[Any]]
    mask: npt.NDArray[np.bool_]


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
    spans = []
    for g0, g1 in zip(edges[::2], edges[1::2], strict=True):
        spans.append((max(lo, int(g0 + c_lo) * CHUNK), min(hi, int(g1 + c_lo) * CHUNK)))
    return spans


def scan(
    side: Sidecar,
    row_ranges: list[tuple[int, int]],
    sel: Any,
    event_columns: tuple[str, ...],
    run_columns: tuple[str, ...] = (),
    rate_columns: tuple[str, ...] = (),
) -> Iterator[Block]:
    """Yield the PHA rows of ``row_ranges`` that may hold selected events, block by block.

    Spin-level filters of ``sel`` (L, MLT, E/Q step, PAPS, DPU, TAC, priority) and its rate
    filters are evaluated per run; runs that fail are not read at all (whole HDF5 chunks
    without a selected run are skipped).  The event-level filters are applied to each block
    (:func:`awa.query.detector_mask`).  Memory is bounded by :data:`SEGMENT_RUNS` runs.

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
    """
    from awa import query

    event_need = tuple(dict.fromkeys(event_columns + query.DETECTOR_COLUMNS))
    run_need = tuple(dict.fromkeys(run_columns + query.CONTEXT_COLUMNS + ("SpinStartTime",)))
    rate_need = tuple(rate_columns)
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
            ok = query.context_mask(runs, sel)
            rates: dict[str, npt.NDArray[Any]] = {}
            if (sel.needs_rates and ok.any()) or rate_need:
                rate_ok, rates = _join_rates(side, runs["SpinStartTime"], sel, rate_need)
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
                mask = ev_ok[a - seg_lo : b - seg_lo] & query.detector_mask(cols, sel)
                values = {c: cols[c] for c in event_columns}
                values.update({c: v[a - seg_lo : b - seg_lo] for c, v in per_event.items()})
                yield Block(values, mask)


def _join_rates(
    side: Sidecar, spin_t: npt.NDArray[Any], sel: Any, columns: tuple[str, ...]
) -> tuple[npt.NDArray[np.bool_], dict[str, npt.NDArray[Any]]]:
    """Per-run pass mask of the rate filters, and rates ``columns`` per run (float64)."""
    from awa import query

    times = np.asarray(spin_t).view(np.int64)
    n = int(side.node("/rates/SpinStartTime").nrows)
    lo = max(side.rates_row(int(times[0])) - SWEEP_MARGIN, 0)
    hi = min(side.rates_row(int(times[-1]) + 1) + SWEEP_MARGIN, n)
    need = set(columns)
    if sel.needs_rates:
        need |= set(query.RATE_FILTER_COLUMNS)
    rates = side.read("rates", ["SpinStartTime", *sorted(need)], lo, hi)
    rt = rates["SpinStartTime"].view(np.int64)
    if len(rt) == 0:
        return np.zeros(len(times), dtype=bool), {c: np.full(len(times), np.nan) for c in columns}
    pos = np.minimum(np.searchsorted(rt, times), len(rt) - 1)
    found = rt[pos] == times
    ok = found.copy()
    if sel.needs_rates:
        ok &= query.spin_mask(rates, sel)[pos]
    values = {c: np.where(found, rates[c][pos].astype(np.float64), np.nan) for c in columns}
    return ok, values
