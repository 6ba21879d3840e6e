"""Matrix-element view: ME box counts drawn on the mass versus M/Q grid (spec section 6)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from awa.figures.common import message_figure
from awa.figures.histogram import add_title, log_heatmap


def box_grid() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Box number of every grid cell (-1: none) and the cells' M/Q and mass edges.

    Background boxes are laid first so that the other boxes cover them; doubles occupy the
    row y in [0, 1).

    Returns
    -------
    cells : int array (ny, nx)
    mpq_edges : array (nx + 1), amu/e
    mass_edges : array (ny + 1), amu
    """
    from awa import physics

    boxes = physics.me_boxes()
    nx = int((boxes["x0"] + boxes["width"]).max())
    ny = int((boxes["y0"] + boxes["height"]).max())
    cells = np.full((ny, nx), -1, dtype=np.int64)
    for kind in ("background", "double", "triple"):
        if kind == "double":
            cells[0, :] = -1  # the doubles row holds doubles only (no mass, no background)
        part = boxes[boxes["kind"] == kind]
        for me, x0, y0, w, h in part[["me", "x0", "y0", "width", "height"]].to_numpy():
            cells[y0 : y0 + h, x0 : x0 + w] = me
    mpq_edges = np.asarray(physics.grid_to_mpq(np.arange(nx + 1)), dtype=np.float64)
    mass_edges = np.asarray(physics.grid_to_mass(np.arange(ny + 1)), dtype=np.float64)
    return cells, mpq_edges, mass_edges


def me_figure(counts: npt.NDArray[np.float64], title: str) -> go.Figure:
    """Heatmap of matrix-element counts: each box coloured by its summed counts.

    Parameters
    ----------
    counts : array (512,)
        Counts of ME0..ME511 summed over the selected cycles.
    title : str
        Figure title.
    """
    if not np.any(counts[:491] > 0):
        return message_figure("No matrix-element counts in the selected cycles.", title)
    cells, xe, ye = box_grid()
    valid = cells >= 0
    grid = np.where(valid, counts[np.clip(cells, 0, None)], 0.0)
    ny, nx = cells.shape
    kind = np.where(cells < 48, 0, np.where((cells >= 252) & (cells <= 256), 1, 2))
    custom = np.stack(
        [
            grid,
            cells.astype(float),
            np.broadcast_to(xe[:-1], (ny, nx)),
            np.broadcast_to(xe[1:], (ny, nx)),
            np.broadcast_to(ye[:-1, None], (ny, nx)),
            np.broadcast_to(ye[1:, None], (ny, nx)),
            kind.astype(float),
        ],
        axis=-1,
    )
    hover = (
        "ME %{customdata[1]:.0f}: %{customdata[0]:,.0f} counts<br>"
        "cell M/Q %{customdata[2]:.3g}-%{customdata[3]:.3g} amu/e<br>"
        "cell M %{customdata[4]:.3g}-%{customdata[5]:.3g} amu"
        "<br>(kind 0 double: no mass, 1 background, 2 triple)<br>kind %{customdata[6]:.0f}"
        "<extra></extra>"
    )
    fig = go.Figure(log_heatmap(np.where(valid, grid, 0.0), xe, ye, None, hover, custom))
    add_title(fig, title)
    axis = {"type": "log", "showline": True, "linecolor": "#888", "mirror": True,
            "ticks": "outside"}  # fmt: skip
    fig.update_xaxes(title_text="mass per charge M/Q, amu/e (box grid)", **axis)
    fig.update_yaxes(title_text="mass M, amu (lowest row: doubles, no mass)", **axis)
    return fig
