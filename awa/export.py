"""CSV formats of AWA downloads: histograms (write and read back), events, timelines, ME.

Histogram CSV: the science team's layout (their app reads it, and AWA reads theirs)::

    # Filters: L 2-10; DPU 0,2; ...
    # PLOTTITLE: E-T: TOF vs energy; 1,234 PHAs of 2,345 total
    # AWA: kind=et | x=TOF channel | y=Energy channel | xedges=0,8,... | yedges=... | query=?t=.
    ,0,8,16,...
    1016,0,0,3,...
    ...
    0,12,0,3,...

Three ``#`` lines (filters, title with line breaks as ``<lf>``, then a line their reader
skips, where AWA keeps the kind and the exact edges), a header row of the lower x edges
(first cell empty), then one row per y bin from the highest to the lowest (first cell: the
bin's lower y edge).  The team's files have no ``AWA:`` line: their upper edges follow from
the equal (E-T) or log-equal (M-M/Q) steps.  AWA's earlier files (``# KIND:``,
``# XEDGES:``, ``# YEDGES:`` lines, rows from the lowest y) are read too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa import query
from awa.chem import schema
from awa.model import AppState, describe_range, to_query
from awa.query.results import Hist2D

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


def _edges_text(edges: FloatArray) -> str:
    return ",".join(f"{e:.10g}" for e in edges)


def histogram_csv(hist: Hist2D, kind: str, title: str, state: AppState) -> str:
    """Write ``hist`` as CSV text in the science team's layout (module docstring)."""
    xl, yl = HIST_AXES[kind]
    out = io.StringIO()
    filters = state.selection.describe() or "none"
    plot_title = title.replace("\r", "").replace("\n", "<lf>")
    out.write(f"# Filters: {filters}\n# PLOTTITLE: {plot_title}\n")
    out.write(f"# AWA: kind={kind} | x={xl} | y={yl} | xedges={_edges_text(hist.x_edges)} | "
              f"yedges={_edges_text(hist.y_edges)} | query={to_query(state)}\n")  # fmt: skip
    out.write("," + _edges_text(hist.x_edges[:-1]) + "\n")
    for y, row in zip(hist.y_edges[-2::-1], hist.counts[::-1], strict=True):
        out.write(f"{y:.10g}," + ",".join(f"{c:.10g}" for c in row) + "\n")
    return out.getvalue()


#: Largest count accepted in one bin of an uploaded histogram: far above the events of the
#: whole mission (about 1e9), so only a corrupt or hand-made file reaches it.
MAX_BIN_COUNT = 1e15


#: What a histogram CSV holds, for messages.
LAYOUT = (
    "a histogram CSV has '#' lines ('# Filters:', '# PLOTTITLE:'), a header row of the lower "
    "x edges, then one row of counts per y bin (first cell: its lower y edge)"
)


def _header_meta(lines: list[str]) -> tuple[dict[str, str], int]:
    """The ``#`` lines at the top: ``{NAME: value}`` and the index of the first other line.

    ``# NAME: value`` lines give NAME (upper case); the ``# AWA:`` line gives its
    ``key=value`` fields (upper case keys: KIND, XEDGES, YEDGES, ...).
    """
    meta: dict[str, str] = {}
    for i, line in enumerate(lines):  # the few header lines
        if not line.startswith("#"):
            return meta, i
        name, sep, value = line[1:].partition(":")
        if not sep:
            continue
        if name.strip().upper() == "AWA":
            for item in value.split(" | "):
                key, _, val = item.partition("=")
                meta[key.strip().upper()] = val.strip()
        else:
            meta[name.strip().upper()] = value.strip()
    return meta, len(lines)


def _steps(lows: FloatArray, log: bool) -> bool:
    """True when the lower edges step evenly (in log10 when ``log``), to 5 % of a step."""
    if not np.isfinite(lows).all() or (log and lows.min() <= 0):
        return False
    v = np.log(lows) if log else lows
    d = np.diff(v)
    return bool(d.mean() > 0 and np.abs(d - d.mean()).max() <= 0.05 * d.mean())


def _top_edge(lows: FloatArray, log: bool) -> FloatArray:
    """All edges of a grid given by its lower edges: the last bin as wide as the mean step."""
    if log:
        ratio = (lows[-1] / lows[0]) ** (1.0 / (len(lows) - 1))
        return np.append(lows, lows[-1] * ratio)
    return np.append(lows, lows[-1] + (lows[-1] - lows[0]) / (len(lows) - 1))


def _guess_kind(name: str, lows: FloatArray) -> str:
    """E-T or M-M/Q for a file without a kind: its name (the team's ``..._MMpQ_Hist``), else
    its x bins (equal in log10: M-M/Q)."""
    n = name.lower()
    if any(t in n for t in ("mmpq", "mmq", "m-m", "mpq")):
        return "mmq"
    if "et" in re.split(r"[^a-z]+", n):
        return "et"
    return "mmq" if len(lows) > 2 and _steps(lows, log=True) and not _steps(lows, False) else "et"


def _axis_edges(meta: dict[str, str], key: str, lows: FloatArray, kind: str) -> FloatArray:
    """The edges of an axis: the header's exact edges, else rebuilt from the lower edges."""
    if key in meta:
        return _numbers(meta[key], key)
    if len(lows) < 2:
        return lows  # too few bins: check_histogram says so
    log = kind == "mmq" and not _steps(lows, log=False)
    if not _steps(lows, log):
        raise CsvFormatError(
            f"the {key[0]} bins are not evenly spaced (neither equal nor equal in log10), so "
            f"their upper edge is unknown"
        )
    return _top_edge(lows, log)


def parse_histogram_csv(text: str, name: str = "") -> HistogramCsv:
    """Read and check a histogram CSV: AWA's (module docstring) or the science team's.

    Line ends may be LF or CRLF, and blank lines and trailing empty cells (what a
    spreadsheet adds) are ignored.  Rows may run from the lowest y or from the highest.

    Parameters
    ----------
    text : str
        The file's text.
    name : str
        The file's name: tells E-T from M-M/Q in a file without a kind (``..._MMpQ_...``).

    Raises
    ------
    CsvFormatError
        When the grid is not a table of numbers, does not match the edges, or the histogram
        fails :func:`check_histogram`.
    """
    lines = [line.rstrip(", \t") for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    meta, body_start = _header_meta(lines)
    for key in ("XEDGES", "YEDGES"):  # AWA's exact edges, when given, are read first
        if key in meta:
            _numbers(meta[key], key)
    if body_start >= len(lines):
        raise CsvFormatError(f"the file has no grid; {LAYOUT}")
    head = lines[body_start].split(",", 1)
    try:
        xlows = np.array([float(v) for v in head[1].split(",")] if len(head) > 1 else [])
    except ValueError:
        raise CsvFormatError(
            f"the header row is not a list of x edges ({lines[body_start][:40]!r}); {LAYOUT}"
        ) from None
    body = [
        line for line in lines[body_start + 1 :] if line.strip() and not line.startswith("#")
    ]
    widths = {line.count(",") for line in body}
    if len(widths) > 1:
        raise CsvFormatError(
            f"the grid is not a table of numbers: its rows hold {min(widths) + 1} to "
            f"{max(widths) + 1} cells (each row: its y edge, then one count per x bin)"
        )
    try:
        grid: FloatArray = np.zeros((0, 1))
        if body:
            rows = io.StringIO("\n".join(body))
            grid = np.loadtxt(rows, delimiter=",", ndmin=2, dtype=np.float64, comments=None)
    except ValueError:
        raise CsvFormatError(
            "the grid is not a table of numbers (each cell a number, comma-separated)"
        ) from None
    ylows, counts = grid[:, 0], grid[:, 1:]
    if len(ylows) > 1 and ylows[0] > ylows[-1]:  # the team's order: highest y first
        ylows, counts = ylows[::-1], counts[::-1]
    kind = meta.get("KIND", "").lower() or _guess_kind(name, xlows)
    xe = _axis_edges(meta, "XEDGES", xlows, kind)
    ye = _axis_edges(meta, "YEDGES", ylows, kind)
    if counts.shape != (len(ye) - 1, len(xe) - 1):
        raise CsvFormatError(
            f"grid of {counts.shape[0]}x{counts.shape[1]} bins does not match the edges "
            f"({len(ye) - 1}x{len(xe) - 1})"
        )
    title = meta.get("PLOTTITLE", "").replace("<lf>", " ") or "uploaded histogram"
    hist = HistogramCsv(kind, title, meta.get("FILTERS", "not given"), counts, xe, ye)
    check_histogram(hist)
    for axis, lows, edges in (("x", xlows, xe), ("y", ylows, ye)):
        if len(lows) != len(edges) - 1 or not _same_edges(lows, edges[:-1]):
            raise CsvFormatError(
                f"the {axis} bins of the grid do not match its {axis.upper()}EDGES"
            )
    return hist


def _same_edges(a: FloatArray, b: FloatArray) -> bool:
    """Edges equal to 1 % of the narrowest bin (the team's files round them)."""
    if len(a) != len(b):
        return False
    width = float(np.diff(b).min()) if len(b) > 1 else 1.0
    return bool(np.abs(a - b).max() <= 0.01 * width)


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
        if not (_same_edges(h.x_edges, first.x_edges) and _same_edges(h.y_edges, first.y_edges)):
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
    sel, view = state.selection, state.view
    yield f"# Filters: {sel.describe() or 'none'}\n# Query: {to_query(state)}\n"
    ranges = [f"{label} {describe_range(r)} {unit}" for label, unit, r in
              (("mass", "amu", view.events_mass), ("M/Q", "amu/e", view.events_mpq))
              if r]  # fmt: skip
    if ranges:
        yield f"# Only events with {' and '.join(ranges)} (inclusive)\n"
    yield ",".join(EVENT_COLUMNS) + "\n"
    for ev in query.iter_events(data_dir, sel, with_rates=True, chunk_rows=chunk_rows,
                                max_rows=max_rows):  # fmt: skip
        frame = _events_frame(ev)
        frame = frame[events_inside(frame, view.events_mass, view.events_mpq)]
        yield frame.to_csv(index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")


def events_inside(
    frame: pd.DataFrame,
    mass: tuple[float, float] | None,
    mpq: tuple[float, float] | None,
) -> npt.NDArray[np.bool_]:
    """Events of ``frame`` (:func:`_events_frame`) inside the mass and M/Q ranges.

    Both ranges are inclusive, as in the science team's app; an event without a mass (or an
    M/Q) is outside any mass (or M/Q) range.  ``None``: no cut.
    """
    keep = np.ones(len(frame), dtype=bool)
    for column, r in (("mass_amu", mass), ("mpq_amu_per_e", mpq)):
        if r is not None:
            v = frame[column].to_numpy(dtype=np.float64)
            keep &= (v >= r[0]) & (v <= r[1])  # NaN compares False: outside
    return keep
