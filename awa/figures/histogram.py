"""2-D histogram heatmaps (E-T and M-M/Q) with a logarithmic colour scale."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.colors as pcolors
import plotly.graph_objects as go

from awa.figures.common import COLORSCALE, base_layout

#: Largest grid that carries physical values in its hover data (keeps pages light).
HOVER_CELLS = 80_000
#: Largest grid drawn with float32 z and the counts in the hover (8 bytes a cell).
LEVEL_CELLS = 100_000
#: Largest grid drawn with uint16 colour levels (the team's E-T grid, 501 x 501 = 251,001
#: cells, fits).  Grids above :data:`LEVEL_CELLS` send z as colour levels
#: (:func:`level_heatmap`): base64 typed arrays, no per-cell hover, a figure under 1.5 MB
#: (measured 0.7 MB at 251,001 cells).
UINT16_CELLS = 262_144
#: Largest grid a heatmap figure draws: the full-resolution E-T grid, 1024 x 1024 channels.
#: Above :data:`UINT16_CELLS` z is sent as uint8 colour levels (:data:`BYTE_LEVELS`), 1 byte
#: a cell: 1.42 MB for 1024 x 1024.  Finer grids are still available as CSV downloads.
MAX_FIGURE_CELLS = 1_048_576
#: Largest JSON of a heatmap figure the app sends (bytes).
MAX_FIGURE_BYTES = 1_500_000
#: Colour levels of :func:`level_heatmap` between the colour limits (fits uint16).
LEVELS = 60_000
#: Colour levels of the grids above :data:`UINT16_CELLS`: uint8 values 1-126 without 63.  The
#: JSON sent escapes "/" (6 bytes), which base64 writes for 6-bit groups of ones: bytes below
#: 128 other than 63 and 127 never give one, so the payload is 4/3 byte a cell whatever the
#: counts.
BYTE_LEVELS = 125
#: The uint8 value skipped by the byte levels (its low 6 bits are all ones).
_SKIPPED = 63
#: Grids up to this size carry the full hover (physical values, bin limits) per cell.
RICH_HOVER_CELLS = 20_000


def centres(edges: npt.NDArray[np.float64], log: bool = False) -> npt.NDArray[np.float64]:
    """Bin centres of ``edges`` (geometric centres when ``log``)."""
    if log:
        return np.asarray(np.sqrt(edges[:-1] * edges[1:]), dtype=np.float64)
    return np.asarray(0.5 * (edges[:-1] + edges[1:]), dtype=np.float64)


def log_heatmap(
    counts: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    z_range: tuple[float, float] | None,
    hover: str,
    customdata: npt.NDArray[np.float64] | None,
    colorbar_title: str = "counts",
) -> go.Heatmap:
    """A heatmap of ``counts`` coloured by log10(counts); empty bins are transparent.

    Parameters
    ----------
    counts : array (ny, nx)
        Counts per bin.
    x, y : array
        Bin centres.
    z_range : (float, float), optional
        Colour range in counts (log scale); default: 1 to the maximum.
    hover : str
        Plotly hovertemplate; ``customdata[..., 0]`` holds the counts.
    """
    with np.errstate(divide="ignore"):
        z = np.where(counts > 0, np.log10(np.where(counts > 0, counts, 1.0)), np.nan)
    top = float(np.nanmax(z)) if np.isfinite(z).any() else 1.0
    zmin, zmax = (
        (0.0, max(top, 1.0))
        if z_range is None
        else (float(np.log10(max(z_range[0], 1e-3))), float(np.log10(max(z_range[1], 1e-3))))
    )
    if zmax <= zmin:
        zmax = zmin + 1.0
    ticks = np.arange(np.floor(zmin), np.ceil(zmax) + 1)
    return go.Heatmap(
        x=x,
        y=y,
        z=z.astype(np.float32),
        zmin=zmin,
        zmax=zmax,
        colorscale=COLORSCALE,
        customdata=customdata,
        hovertemplate=hover,
        colorbar={
            "title": {"text": colorbar_title, "side": "right"},
            "tickvals": ticks,
            "ticktext": [f"{10**t:g}" for t in ticks],
            "thickness": 14,
        },
        hoverongaps=False,
    )


def level_heatmap(
    counts: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    z_range: tuple[float, float] | None,
    hover: str,
    colorbar_title: str = "counts",
) -> go.Heatmap:
    """A heatmap of ``counts`` for large grids: z as uint16 colour levels, log10 of counts.

    Level 0 is an empty bin (transparent); levels 1 to ``LEVELS + 1`` span the colour limits
    evenly in log10(counts) (counts outside the limits take the end colours).  plotly sends
    the uint16 array as a base64 typed array: 2 bytes a cell, whatever the counts.  Grids
    above :data:`UINT16_CELLS` cells get :data:`BYTE_LEVELS` levels as uint8 (1 byte a cell,
    the value 63 skipped: see :data:`BYTE_LEVELS`).

    Parameters
    ----------
    counts : array (ny, nx)
        Counts per bin (not negative).
    x, y : array
        Bin centres (or edges, one more than the bins).
    z_range : (float, float), optional
        Colour range in counts (log scale); default: 1 to the maximum.
    hover : str
        Plotly hovertemplate (the levels are not counts: the template should not show z).
    """
    filled = counts > 0
    logc = np.log10(np.where(filled, counts, 1.0))
    top = float(logc[filled].max()) if filled.any() else 1.0
    lo, hi = (
        (0.0, max(top, 1.0))
        if z_range is None
        else (float(np.log10(max(z_range[0], 1e-3))), float(np.log10(max(z_range[1], 1e-3))))
    )
    if hi <= lo:
        hi = lo + 1.0
    small = counts.size <= UINT16_CELLS
    levels, dtype = (LEVELS, np.uint16) if small else (BYTE_LEVELS - 1, np.uint8)
    per_decade = levels / (hi - lo)
    level = 1 + np.clip(np.rint((logc - lo) * per_decade), 0, levels)
    if not small:
        level += level >= _SKIPPED
    z = np.where(filled, level, 0).astype(dtype)
    top_level = levels + 1 + (not small)
    viridis = pcolors.sequential.Viridis
    scale: list[list[Any]] = [[0.0, "rgba(0,0,0,0)"]]
    for i, colour in enumerate(viridis):
        scale.append([(1 + (top_level - 1) * i / (len(viridis) - 1)) / top_level, colour])
    decades = np.arange(np.ceil(lo), np.floor(hi) + 1)
    ticks = 1 + (decades - lo) * per_decade
    if not small:
        ticks += ticks >= _SKIPPED
    return go.Heatmap(
        x=x, y=y, z=z, zmin=0, zmax=top_level, colorscale=scale, hovertemplate=hover,
        colorbar={
            "title": {"text": colorbar_title, "side": "right"},
            "tickvals": ticks.tolist(),
            "ticktext": [f"{10**d:g}" for d in decades],
            "thickness": 14,
        },
    )  # fmt: skip


def add_title(fig: go.Figure, title: str) -> None:
    """Apply the common layout with ``title``."""
    base_layout(fig, title)
