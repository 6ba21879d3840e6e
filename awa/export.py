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
from awa.model import AppState, describe_range, format_boxes, format_time_ranges, to_query
from awa.query import timelines
from awa.query.masks import RATE_FILTER_COLUMNS, rate_relations
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
    sel = state.selection
    l_text = f"L {describe_range(sel.l_range)}" if sel.l_range else "all L"
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
