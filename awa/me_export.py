"""CSV formats of the matrix-element downloads: box totals, the ME timeline, ME per cycle."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem import me_boxes, schema
from awa.export import as_stored
from awa.model import AppState, format_boxes, to_query
from awa.query.me import CycleChunk, CycleFilter, iter_me_cycles, not_applied
from awa.query.results import MeSeries, MeTotals

FloatArray = npt.NDArray[np.float64]


def box_table(counts: FloatArray) -> pd.DataFrame:
    """The ME boxes with their limits and ``counts`` (array of 512, ME0..ME511).

    Columns: ``me``, ``kind``, ``nq_lo``, ``nq_hi``, ``nm_lo``, ``nm_hi`` (DPU indices,
    inclusive), ``mpq_lo``, ``mpq_hi`` (amu/e), ``mass_lo``, ``mass_hi`` (amu; none for
    doubles), ``counts``.
    """
    if len(counts) < schema.N_ME_BOXES:
        raise ValueError(f"expected {schema.N_ME} ME counts, got {len(counts)}")
    boxes = me_boxes.me_boxes()
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


def me_csv(totals: MeTotals, state: AppState, title: str) -> str:
    """CSV text of the ME box totals: ``#`` header lines, then one row per box (0-490)."""
    out = io.StringIO()
    applied = CycleFilter.of(state.selection).describe() or "none"
    out.write(f"# PLOTTITLE: {title}\n# Filters: {applied}; science cycles (CSHK 0)\n")
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


#: Columns of the per-cycle ME CSV before the counts: the cycle start time and the cycle's
#: context as the science team's ME download has them (HK columns, then MLTH); the counts
#: follow under their store labels 0..511 (ME0..ME511).
ME_CYCLE_COLUMNS = (
    "SpinStartTime", "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "L", "MAGLAT",
    "MAGLON", "Dst", "Kp", "MLTH",
)  # fmt: skip


def me_cycles_header(state: AppState) -> str:
    """The two ``#`` lines of the per-cycle ME CSV: the filters (applied or not), the query."""
    sel = state.selection
    applied = CycleFilter.of(sel).describe() or "none"
    ignored = not_applied(sel) or "none"
    return (
        f"# Filters applied per cycle: {applied}; science cycles (CSHK 0). Not applied "
        f"(PHA event filters): {ignored}\n"
        f"# Query: {to_query(state)}; one row per cycle; columns 0-{schema.N_ME - 1} are the "
        f"counts of ME0-ME{schema.N_ME - 1} in the cycle (ME{schema.N_ME_BOXES} and above are "
        f"not boxes); empty cells: no housekeeping row at the cycle's start\n"
    )


def _me_cycles_frame(chunk: CycleChunk) -> pd.DataFrame:
    """One chunk of the per-cycle ME CSV (``ME_CYCLE_COLUMNS`` then the 512 counts)."""
    context = chunk.context or {}
    n = len(chunk.t_ns)
    found = context.get("found", np.zeros(n, dtype=bool))
    frame = pd.DataFrame({"SpinStartTime": chunk.t_ns.astype("datetime64[ns]")})
    for name in ME_CYCLE_COLUMNS[1:]:
        if name == "L":
            frame["L"] = as_stored("L", chunk.l_values)
            continue
        values = as_stored(name, context.get(name, np.zeros(n, dtype=np.int64)))
        if values.dtype.kind in "iu":  # an integer column with empty cells where not found
            frame[name] = pd.arrays.IntegerArray(values.astype(np.int64), ~found)
        else:
            frame[name] = np.where(found, values, np.nan).astype(values.dtype)
    counts = pd.DataFrame(chunk.counts, columns=[str(i) for i in range(schema.N_ME)])
    return pd.concat([frame, counts], axis=1)


def iter_me_cycles_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream every selected science cycle with its context and ME0..ME511 as CSV chunks.

    The cycles are those of the ME view (:func:`awa.query.me.iter_me_cycles` with the
    selection's per-cycle filters).  Times are written as pandas writes them
    (``1986-02-08 00:00:01``); stored values as stored (:func:`as_stored`).

    Raises
    ------
    StoreMissingError, SelectionTooLargeError
        On the first ``next()``, before any text: more than ``max_rows`` cycles in the
        time ranges, or a missing store.
    """
    sel = state.selection
    chunks = iter_me_cycles(data_dir, sel.times, CycleFilter.of(sel), max_rows,
                            chunk_rows=min(chunk_rows, 20_000), with_context=True)  # fmt: skip
    first = next(chunks, None)  # raises here, before any text
    yield me_cycles_header(state)
    yield ",".join(ME_CYCLE_COLUMNS) + "," + ",".join(map(str, range(schema.N_ME))) + "\n"
    while first is not None:
        yield _me_cycles_frame(first).to_csv(index=False, header=False,
                                             date_format="%Y-%m-%d %H:%M:%S")  # fmt: skip
        first = next(chunks, None)
