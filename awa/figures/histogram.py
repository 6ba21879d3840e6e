"""2-D histogram heatmaps (E-T and M-M/Q) with a logarithmic colour scale."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from awa.figures.common import COLORSCALE, base_layout

#: Largest grid that carries physical values in its hover data (keeps pages light).
HOVER_CELLS = 80_000
#: Largest grid a heatmap figure draws: with float32 z and counts this keeps a figure under
#: 1 MB.  Finer grids are still available as CSV downloads.
MAX_FIGURE_CELLS = 80_000
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


def add_title(fig: go.Figure, title: str) -> None:
    """Apply the common layout with ``title``."""
    base_layout(fig, title)
