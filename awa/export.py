"""CSV formats of AWA downloads: histograms (write and read back), events, timelines, ME.

Histogram CSV::

    # PLOTTITLE: E-T: TOF vs energy, 1986-02-08 00:00 to ...
    # Filters: L 2-10; DPU 0,2; ...
    # Query: ?t=1986-039-0000:1986-040-0000
    # KIND: et
    # X: TOF channel
    # Y: Energy channel
    # XEDGES: 0,8,16,...
    # YEDGES: 0,8,16,...
    y_low\\x_low,0,8,16,...
    0,12,0,3,...

The grid has one row per y bin (first column: the bin's lower y edge) and one column per
x bin (header: lower x edges); the full edges (one more than bins) are in the header lines.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa import query
from awa.chem import me_boxes, schema
from awa.model import AppState, format_boxes, format_time_ranges, to_query
from awa.query.me import CycleChunk, CycleFilter, iter_me_cycles, not_applied
from awa.query.results import Hist2D, MeSeries, MeTotals

FloatArray = npt.NDArray[np.float64]

HIST_AXES = {
    "et": ("TOF channel", "Energy channel"),
    "mmq": ("mass per charge, amu/e", "mass, amu"),
}


class CsvFormatError(ValueError):
    """An uploaded file is not a histogram CSV of this app; the message says why."""


@dataclass(frozen=True)
class HistogramCsv:
    """A histogram read back from CSV."""

    kind: str
    title: str
    filters: str
    counts: npt.NDArray[np.float64]
    x_edges: npt.NDArray[np.float64]
    y_edges: npt.NDArray[np.float64]


def histogram_csv(hist: Hist2D, kind: str, title: str, state: AppState) -> str:
    """Write ``hist`` as CSV text (format in the module docstring)."""
    xl, yl = HIST_AXES[kind]
    out = io.StringIO()
    filters = state.selection.describe() or "none"
    out.write(f"# PLOTTITLE: {title}\n# Filters: {filters}\n# Query: {to_query(state)}\n")
    out.write(f"# KIND: {kind}\n# X: {xl}\n# Y: {yl}\n")
    out.write("# XEDGES: " + ",".join(f"{e:.10g}" for e in hist.x_edges) + "\n")
    out.write("# YEDGES: " + ",".join(f"{e:.10g}" for e in hist.y_edges) + "\n")
    out.write("y_low\\x_low," + ",".join(f"{e:.10g}" for e in hist.x_edges[:-1]) + "\n")
    for y, row in zip(hist.y_edges[:-1], hist.counts, strict=True):
        out.write(f"{y:.10g}," + ",".join(f"{c:.10g}" for c in row) + "\n")
    return out.getvalue()


#: Largest count accepted in one bin of an uploaded histogram: far above the events of the
#: whole mission (about 1e9), so only a corrupt or hand-made file reaches it.
MAX_BIN_COUNT = 1e15


def parse_histogram_csv(text: str) -> HistogramCsv:
    """Read and check a histogram CSV written by :func:`histogram_csv`.

    Line ends may be LF or CRLF, and blank lines and trailing empty cells (what a
    spreadsheet adds) are ignored.

    Raises
    ------
    CsvFormatError
        When a header line is missing, the grid does not match the edges, or the histogram
        fails :func:`check_histogram`.
    """
    meta: dict[str, str] = {}
    lines = [line.rstrip(", \t") for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    body_start = 0
    for i, line in enumerate(lines):
        if line.startswith("#"):
            name, _, value = line[1:].partition(":")
            meta[name.strip().upper()] = value.strip()
            body_start = i + 1
        else:
            break
    for need in ("PLOTTITLE", "FILTERS", "XEDGES", "YEDGES"):
        if need not in meta:
            raise CsvFormatError(
                f"header line '# {need}:' is missing; upload a histogram CSV downloaded from AWA"
            )
    xe = _numbers(meta["XEDGES"], "XEDGES")
    ye = _numbers(meta["YEDGES"], "YEDGES")
    body = lines[body_start + 1 :]
    try:
        grid = np.loadtxt(io.StringIO("\n".join(body)), delimiter=",", ndmin=2,
                          dtype=np.float64) if body else np.zeros((0, 1))  # fmt: skip
    except ValueError as exc:
        raise CsvFormatError(f"the grid is not a table of numbers: {exc}") from None
    counts = grid[:, 1:]
    if counts.shape != (len(ye) - 1, len(xe) - 1):
        raise CsvFormatError(
            f"grid of {counts.shape[0]}x{counts.shape[1]} bins does not match the edges "
            f"({len(ye) - 1}x{len(xe) - 1})"
        )
    hist = HistogramCsv(meta.get("KIND", "et").lower(), meta["PLOTTITLE"], meta["FILTERS"],
                        counts, xe, ye)  # fmt: skip
    check_histogram(hist)
    return hist


def _numbers(text: str, where: str) -> npt.NDArray[np.float64]:
    """Comma-separated numbers of one line (``nan`` and ``inf`` are read, then refused by
    :func:`check_histogram`)."""
    try:
        return np.array([float(v) for v in text.split(",")], dtype=np.float64)
    except ValueError:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise CsvFormatError(f"{where} is not a list of numbers: {shown!r}") from None


def check_histogram(hist: HistogramCsv) -> None:
    """Refuse what cannot be a histogram of AWA: the rules a reader relies on.

    The kind is one of :data:`HIST_AXES`; each axis has at least two bins whose edges are
    finite and strictly increasing (and positive on the logarithmic M-M/Q grid); counts
    are finite, not negative and at most :data:`MAX_BIN_COUNT` per bin.

    Raises
    ------
    CsvFormatError
        Naming the first rule the histogram breaks.
    """
    if hist.kind not in HIST_AXES:
        raise CsvFormatError(
            f"KIND {hist.kind!r} is not a histogram of AWA (one of {', '.join(HIST_AXES)})"
        )
    for axis, edges in (("XEDGES", hist.x_edges), ("YEDGES", hist.y_edges)):
        if len(edges) < 3:
            raise CsvFormatError(
                f"{axis} gives {max(len(edges) - 1, 0)} bin(s); a histogram needs at least 2 "
                f"along each axis"
            )
        if not np.isfinite(edges).all():
            raise CsvFormatError(f"{axis} holds a value that is not a finite number")
        if not (np.diff(edges) > 0).all():
            raise CsvFormatError(f"{axis} must increase from one edge to the next")
        if hist.kind == "mmq" and edges[0] <= 0:
            raise CsvFormatError(
                f"{axis} starts at {edges[0]:g}; the M-M/Q grid is logarithmic, its edges "
                f"must be above 0"
            )
    counts = hist.counts
    if not np.isfinite(counts).all():
        raise CsvFormatError("the grid holds a count that is not a finite number")
    if (counts < 0).any():
        raise CsvFormatError(f"the grid holds a negative count ({counts.min():g})")
    if counts.size and counts.max() > MAX_BIN_COUNT:
        raise CsvFormatError(
            f"the grid holds a count of {counts.max():g}, more than any histogram of the "
            f"mission ({MAX_BIN_COUNT:g} at most per bin)"
        )


def sum_histograms(items: list[HistogramCsv]) -> HistogramCsv:
    """Sum histograms on the same grid.

    Raises
    ------
    CsvFormatError
        When kinds or bin edges differ.
    """
    if not items:
        raise CsvFormatError("no files")
    first = items[0]
    total = first.counts.copy()
    for h in items[1:]:
        if h.kind != first.kind:
            raise CsvFormatError(f"cannot sum a {h.kind} histogram with a {first.kind} one")
        if not (np.allclose(h.x_edges, first.x_edges) if len(h.x_edges) == len(first.x_edges)
                else False) or not (
                np.allclose(h.y_edges, first.y_edges) if len(h.y_edges) == len(first.y_edges)
                else False):  # fmt: skip
            raise CsvFormatError(
                "the histograms have different bins; download them with the "
                "same bin widths and ranges to sum them"
            )
        total += h.counts
    title = first.title if len(items) == 1 else f"sum of {len(items)} histograms"
    filters = first.filters if len(items) == 1 else " | ".join(h.filters for h in items)
    return HistogramCsv(first.kind, title, filters, total, first.x_edges, first.y_edges)


EVENT_COLUMNS = (
    "time_utc", "Energy_ch", "TOF_ch", "E_keV", "T_ns", "mass_amu", "mpq_amu_per_e",
    "L", "MLT_h", "Kp", "Dst_nT", "Voltage_Step", "PAPS_lvl", "SSDID", "Range", "Sector",
)  # fmt: skip


def as_stored(name: str, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``values`` of store column ``name`` back in its stored dtype when that is float32.

    Joined rate columns arrive as float64, and a float32 widened to float64 prints its
    binary expansion (Kp 8.667 as ``8.666999816894531``); as float32, pandas writes the
    shortest decimal that reads back to the same float32 (``8.667``): the stored value.
    """
    q = schema.QUANTITIES.get(name)
    if q is not None and q.dtype == "float32" and values.dtype.kind == "f":
        return values.astype(np.float32)
    return values


def _events_frame(ev: dict[str, npt.NDArray[Any]]) -> pd.DataFrame:
    """One CSV chunk of events: channels, physical values and the spin context.

    A mass without a valid energy (0 from the conversion) and an M/Q without a valid PAPS
    voltage (NaN) do not exist: both are empty cells (spec section 4).  Store values are
    written as stored (:func:`as_stored`).
    """
    phys = query.convert(ev)
    mass = np.where(phys["mass"] > 0, phys["mass"], np.nan)
    return pd.DataFrame(
        {
            "time_utc": ev["SpinStartTime"].astype("datetime64[ns]"),
            "Energy_ch": ev["Energy"], "TOF_ch": ev["TOF"],
            "E_keV": np.round(phys["E_keV"], 3), "T_ns": np.round(phys["T_ns"], 3),
            "mass_amu": np.round(mass, 4), "mpq_amu_per_e": np.round(phys["mpq"], 4),
            "L": as_stored("L", ev["L"]), "MLT_h": as_stored("MLTH", ev["MLTH"]),
            "Kp": as_stored("Kp", ev["Kp"]), "Dst_nT": as_stored("Dst", ev["Dst"]),
            "Voltage_Step": ev["Voltage_Step"], "PAPS_lvl": ev["PAPS_lvl"],
            "SSDID": ev["SSDID"], "Range": ev["Range"], "Sector": ev["Sector"],
        }
    )  # fmt: skip


def iter_events_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the selected events as CSV text chunks (header first), bounded memory.

    Store values are written as stored (float32 in its shortest decimal); a mass or M/Q
    that does not exist is an empty cell (:func:`_events_frame`).
    """
    sel = state.selection
    yield f"# Filters: {sel.describe() or 'none'}\n# Query: {to_query(state)}\n"
    yield ",".join(EVENT_COLUMNS) + "\n"
    for ev in query.iter_events(data_dir, sel, with_rates=True, chunk_rows=chunk_rows,
                                max_rows=max_rows):  # fmt: skip
        frame = _events_frame(ev)
        yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


TIMELINE_COLUMNS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2",
    "L", "MLTH", "MAGLAT", "Voltage_Step", "PAPS_lvl", "DPU_Mode", "TAC_Slope",
    "PHA_Priority", "Kp", "Dst",
)  # fmt: skip


def iter_timeline_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the rates store (one row per spin) inside the time ranges as CSV chunks.

    The header says which filters apply: the time ranges only; the event filters of the
    query (L, DPU, ...) select PHA events and are not applied to the spins.
    """
    table = query.get_table(data_dir, schema.RATES_STORE)
    ranges = query.row_ranges(table, state.selection.times)
    query.check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "spins")
    yield "".join(timeline_header(state))
    yield "time_utc," + ",".join(TIMELINE_COLUMNS) + "\n"
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            frame = pd.DataFrame({"time_utc": rows["SpinStartTime"].astype("datetime64[ns]")})
            for c in TIMELINE_COLUMNS:
                frame[c] = as_stored(c, rows[c])
            yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


def timeline_header(state: AppState) -> list[str]:
    """``#`` lines of the timeline CSV: the query, the filters applied and those not applied."""
    sel = state.selection
    times = format_time_ranges(sel.times) if sel.times else "none"
    others = sel.describe() or "none"
    return [
        f"# Query: {to_query(state)}\n",
        f"# Filters applied: time {times} (every spin of the rates store in it)\n",
        f"# Filters not applied: {others} (event filters select PHA events: they apply to "
        f"the E-T, M-M/Q and events downloads, not to the spins' rates)\n",
    ]


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
