"""CSV formats of the rate downloads: the timeline and the spins a rate relation rejected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa import query
from awa.chem import schema
from awa.export import as_stored
from awa.model import AppState, format_time_ranges, to_query
from awa.query import timelines
from awa.query.masks import RATE_FILTER_COLUMNS, rate_relations

TIMELINE_COLUMNS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2",
    "L", "MLTH", "MAGLAT", "Voltage_Step", "PAPS_lvl", "DPU_Mode", "TAC_Slope",
    "PHA_Priority", "Kp", "Dst",
)  # fmt: skip


def iter_timeline_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the rates store (one row per spin) inside the time ranges as CSV chunks.

    Without "with filters" (URL ``tlf``) every spin of the time ranges is written; with it,
    only the spins passing the spin filters (L, E/Q step, MLT, PAPS, DPU, TAC, priority,
    Dst, Kp, rate relations; :func:`awa.query.timelines.spin_masks`).  With ``pc0`` only
    the first spin of each sweep.  The quantities of the panels of one's own that are not
    columns (ratios such as ``R0/BR0``; empty where the denominator is 0) follow.  The
    header says which filters apply and which do not.
    """
    view = state.view
    spin_sel = timelines.spin_filters(state.selection) if view.tl_filtered else None
    extra = list(dict.fromkeys(
        q for panel in view.tl_quantities for q in panel if q not in TIMELINE_COLUMNS
    ))  # fmt: skip
    table = query.get_table(data_dir, schema.RATES_STORE)
    ranges = query.row_ranges(table, state.selection.times)
    query.check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "spins")
    yield "".join(timeline_header(state))
    yield "time_utc," + ",".join([*TIMELINE_COLUMNS, *extra]) + "\n"
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            c1 = min(c0 + chunk_rows, hi)
            rows = table.read(c0, c1)
            frame = pd.DataFrame({"time_utc": rows["SpinStartTime"].astype("datetime64[ns]")})
            for c in TIMELINE_COLUMNS:
                frame[c] = as_stored(c, rows[c])
            for q in extra:
                frame[q] = timelines.quantity_values(rows, q)
            if spin_sel is not None or view.tl_pc0:
                keep = np.ones(c1 - c0, dtype=bool)
                for m in timelines.spin_masks(table, c0, c1, spin_sel, view.tl_pc0):
                    if m is not None:
                        keep &= m
                frame = frame[keep]
            yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


def timeline_header(state: AppState) -> list[str]:
    """``#`` lines of the timeline CSV: the query, the filters applied and those not applied."""
    sel, view = state.selection, state.view
    times = format_time_ranges(sel.times) if sel.times else "none"
    pc0 = "; period counter 0 only (the first spin of each sweep)" if view.tl_pc0 else ""
    if view.tl_filtered:
        spins = timelines.spin_filters(sel).describe() or "none"
        events = timelines.event_filters(sel).describe() or "none"
        return [
            f"# Query: {to_query(state)}\n",
            f"# Filters applied: time {times}; spin filters {spins}{pc0} (the spins that "
            f"pass them)\n",
            f"# Filters not applied: {events} (event-level filters select PHA events, not "
            f"spins)\n",
        ]
    others = sel.describe() or "none"
    every = "the first spin of each sweep" if pc0 else "every spin"
    return [
        f"# Query: {to_query(state)}\n",
        f"# Filters applied: time {times}{pc0} ({every} of the rates store in it)\n",
        f"# Filters not applied: {others} (event filters select PHA events: they apply to "
        f"the E-T, M-M/Q and events downloads, not to the spins' rates)\n",
    ]


REJECTED_CSV_COLUMNS = ("time_utc", "failed", "passes_other_filters",
                        *timelines.REJECTED_COLUMNS)  # fmt: skip


def iter_rejected_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the spins a rate relation rejected (:func:`awa.query.timelines.iter_rejected_spins`).

    One row per rejected spin of the time ranges: its time, the relations it fails
    (``sum BR <= DCR; R_n <= BR_n``), whether it passes the other spin filters (1/0), and
    its period counter, E/Q step and rates (counts/spin).  With no rate relation on, the
    header says so and no row follows.
    """
    sel = state.selection
    one_spin = {c: np.zeros(1) for c in RATE_FILTER_COLUMNS}
    relations = ", ".join(rate_relations(one_spin, sel)) or "none"
    chunks = timelines.iter_rejected_spins(data_dir, sel, chunk_rows, max_rows)
    first = next(chunks, None)  # raises before the header when the selection is too large
    on = timelines.spin_filters(sel).describe() or "none"
    yield f"# Query: {to_query(state)}\n# KIND: rejected_spins\n"
    yield f"# Filters: {on}\n# Rate relations on: {relations}\n"
    if sel == timelines.no_relations(sel):
        yield "# No rate relation is on: no spin is rejected by one.\n"
    yield ",".join(REJECTED_CSV_COLUMNS) + "\n"
    if first is not None:
        yield _rejected_frame(first)
    for chunk in chunks:
        yield _rejected_frame(chunk)


def _rejected_frame(chunk: dict[str, npt.NDArray[Any]]) -> str:
    frame = pd.DataFrame({
        "time_utc": chunk["SpinStartTime"].astype("datetime64[ns]"),
        "failed": chunk["failed"],
        "passes_other_filters": chunk["other_filters"].astype(np.int8),
        **{c: chunk[c] for c in timelines.REJECTED_COLUMNS},
    })  # fmt: skip
    return frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")
