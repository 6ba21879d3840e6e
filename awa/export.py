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

import base64
import binascii
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa import query
from awa.chem import me_boxes, schema
from awa.model import AppState, format_boxes, to_query
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


def decode_upload(content: str) -> str:
    """Text of a ``dcc.Upload`` data URL (base64), as UTF-8."""
    _, _, data = content.partition(",")
    try:
        return base64.b64decode(data).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise CsvFormatError("the file is not UTF-8 text") from None


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


def parse_histogram_csv(text: str) -> HistogramCsv:
    """Read a histogram CSV written by :func:`histogram_csv`.

    Raises
    ------
    CsvFormatError
        When a header line is missing or the grid does not match the edges.
    """
    meta: dict[str, str] = {}
    lines = text.splitlines()
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
    try:
        xe = np.array([float(v) for v in meta["XEDGES"].split(",")])
        ye = np.array([float(v) for v in meta["YEDGES"].split(",")])
        grid = np.loadtxt(io.StringIO("\n".join(lines[body_start + 1 :])), delimiter=",",
                          ndmin=2)  # fmt: skip
    except ValueError as exc:
        raise CsvFormatError(f"the grid is not numeric: {exc}") from None
    counts = grid[:, 1:] if grid.size else np.zeros((0, 0))
    if counts.shape != (len(ye) - 1, len(xe) - 1):
        raise CsvFormatError(
            f"grid of {counts.shape[0]}x{counts.shape[1]} bins does not match the edges "
            f"({len(ye) - 1}x{len(xe) - 1})"
        )
    kind = meta.get("KIND", "et")
    return HistogramCsv(kind, meta["PLOTTITLE"], meta["FILTERS"], counts, xe, ye)


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


def iter_events_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the selected events as CSV text chunks (header first), bounded memory."""
    sel = state.selection
    yield f"# Filters: {sel.describe() or 'none'}\n# Query: {to_query(state)}\n"
    yield ",".join(EVENT_COLUMNS) + "\n"
    for ev in query.iter_events(data_dir, sel, with_rates=True, chunk_rows=chunk_rows,
                                max_rows=max_rows):  # fmt: skip
        phys = query.convert(ev)
        frame = pd.DataFrame(
            {
                "time_utc": ev["SpinStartTime"].astype("datetime64[ns]"),
                "Energy_ch": ev["Energy"], "TOF_ch": ev["TOF"],
                "E_keV": np.round(phys["E_keV"], 3), "T_ns": np.round(phys["T_ns"], 3),
                "mass_amu": np.round(phys["mass"], 4), "mpq_amu_per_e": np.round(phys["mpq"], 4),
                "L": np.round(ev["L"], 4), "MLT_h": np.round(ev["MLTH"], 4),
                "Kp": ev["Kp"], "Dst_nT": ev["Dst"], "Voltage_Step": ev["Voltage_Step"],
                "PAPS_lvl": ev["PAPS_lvl"], "SSDID": ev["SSDID"], "Range": ev["Range"],
                "Sector": ev["Sector"],
            }
        )  # fmt: skip
        yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


TIMELINE_COLUMNS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2",
    "L", "MLTH", "MAGLAT", "Voltage_Step", "PAPS_lvl", "DPU_Mode", "TAC_Slope",
    "PHA_Priority", "Kp", "Dst",
)  # fmt: skip


def iter_timeline_csv(
    data_dir: str | Path, state: AppState, chunk_rows: int, max_rows: int | None
) -> Iterator[str]:
    """Stream the rates store (one row per spin) inside the time ranges as CSV chunks."""
    table = query.get_table(data_dir, schema.RATES_STORE)
    ranges = query.row_ranges(table, state.selection.times)
    query.check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "spins")
    yield f"# Query: {to_query(state)}\n"
    yield "time_utc," + ",".join(TIMELINE_COLUMNS) + "\n"
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            frame = pd.DataFrame({"time_utc": rows["SpinStartTime"].astype("datetime64[ns]")})
            for c in TIMELINE_COLUMNS:
                frame[c] = rows[c]
            yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


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
