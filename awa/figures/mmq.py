"""M-M/Q figure: mass per charge (x) versus mass (y) on log-log bins (spec section 4)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from awa.chem import physics, schema
from awa.figures.common import message_figure
from awa.figures.et import plot_title
from awa.figures.histogram import LEVEL_CELLS, add_title, level_heatmap, log_heatmap
from awa.model import ViewOptions
from awa.query.results import Hist2D

#: Grids up to this size carry bin limits in the hover (5 values a cell, under 1 MB).
MMQ_RICH_HOVER_CELLS = 12_000


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks 1, 2, 5 times a power of ten inside ``[lo, hi]`` (> 0): labelled in full
    (0.5, 1, 2, 5, 10, 20, 50), so no label reads as both 0.5 and 50."""
    if not (0 < lo < hi):
        return []
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    return [v for k in decades for m in (1, 2, 5) if lo <= (v := float(m * 10.0**k)) <= hi]


def log_axis(lo: float, hi: float) -> dict[str, object]:
    """Plotly axis properties of a log axis over ``[lo, hi]`` with :func:`log_ticks`."""
    ticks = log_ticks(lo, hi)
    return {"type": "log", "range": [float(np.log10(lo)), float(np.log10(hi))],
            "tickvals": ticks, "ticktext": [f"{v:g}" for v in ticks]}  # fmt: skip


def species_marks(
    fig: go.Figure, x_range: tuple[float, float], y_range: tuple[float, float], log: bool = True
) -> None:
    """Name the species of ``awa.chem.physics.SPECIES`` inside the axis ranges with an arrow
    that stops short of its (M/Q, M), so the peak's own bins stay visible (on log axes when
    ``log``, else linear); the arrow's hover gives the exact position."""
    for sp in physics.SPECIES:
        if not (x_range[0] <= sp.mpq <= x_range[1] and y_range[0] <= sp.mass <= y_range[1]):
            continue
        fig.add_annotation(
            x=np.log10(sp.mpq) if log else sp.mpq, y=np.log10(sp.mass) if log else sp.mass,
            text=sp.name, showarrow=True, arrowhead=0, arrowwidth=1.5, arrowcolor="#b01c1c",
            standoff=9, ax=-26, ay=-24, xanchor="right", yanchor="bottom",
            font={"color": "#b01c1c", "size": 12}, bgcolor="rgba(255,255,255,0.75)",
            borderpad=1, hovertext=f"{sp.name}: M/Q {sp.mpq:.2f} amu/e, M {sp.mass:.2f} amu",
        )  # fmt: skip


def mmq_figure(hist: Hist2D, view: ViewOptions, title: str) -> go.Figure:
    """Heatmap of an M-M/Q histogram on log-log axes (counts per bin, log colour scale).

    Parameters
    ----------
    hist : Hist2D
        From :func:`awa.query.mmq_histogram`: x = M/Q (amu/e), y = mass (amu).
    view : ViewOptions
        Axis ranges, colour range, species marks, log or linear axes (``mmq_log``; the bins
        are those of ``hist`` either way), custom title.
    title : str
        Figure title (``view.title``, when given, replaces it).
    """
    if hist.n_selected == 0:
        return message_figure("No events match the selection.", title)
    if hist.n_shown == 0:
        return message_figure(
            f"None of the {hist.n_selected:,} selected events has a mass and M/Q inside "
            "the axis ranges<br>(doubles have no mass; PAPS off gives no M/Q).",
            title,
        )
    ny, nx = hist.counts.shape
    label = "weighted counts" if hist.weighted else "counts"
    trace: go.Heatmap
    if ny * nx > LEVEL_CELLS:
        hover = "M/Q %{x:.3g} amu/e<br>M %{y:.3g} amu<extra></extra>"
        trace = level_heatmap(hist.counts, hist.x_edges, hist.y_edges, view.z_range, hover,
                              label)  # fmt: skip
    elif ny * nx <= MMQ_RICH_HOVER_CELLS:
        custom = np.stack(
            [
                hist.counts,
                np.broadcast_to(hist.x_edges[:-1], (ny, nx)),
                np.broadcast_to(hist.x_edges[1:], (ny, nx)),
                np.broadcast_to(hist.y_edges[:-1, None], (ny, nx)),
                np.broadcast_to(hist.y_edges[1:, None], (ny, nx)),
            ],
            axis=-1,
        )
        hover = (
            "M/Q %{customdata[1]:.3g}-%{customdata[2]:.3g} amu/e<br>"
            "M %{customdata[3]:.3g}-%{customdata[4]:.3g} amu<br>"
            f"{label} %{{customdata[0]:,.4g}}<extra></extra>"
        )
        trace = log_heatmap(hist.counts, hist.x_edges, hist.y_edges, view.z_range, hover,
                            custom, label)  # fmt: skip
    else:
        # lean payload for fine grids: counts only, float32
        custom = hist.counts[..., None].astype(np.float32)
        hover = f"M/Q %{{x:.3g}} amu/e<br>M %{{y:.3g}} amu<br>{label} %{{customdata[0]:,.4g}}"
        trace = log_heatmap(hist.counts, hist.x_edges, hist.y_edges, view.z_range, hover,
                            custom, label)  # fmt: skip
    fig = go.Figure(trace)
    add_title(fig, plot_title(view, title))
    log = view.mmq_log

    if log:
        fig.update_xaxes(title_text=schema.label("mpq"), **log_axis(*view.mmq_x))
        fig.update_yaxes(title_text=schema.label("mass"), **log_axis(*view.mmq_y))
    else:
        fig.update_xaxes(title_text=schema.label("mpq"), type="linear", range=list(view.mmq_x))
        fig.update_yaxes(title_text=schema.label("mass"), type="linear", range=list(view.mmq_y))
    if view.mmq_refs:
        species_marks(fig, view.mmq_x, view.mmq_y, log)
    return fig
