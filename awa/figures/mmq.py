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


def species_marks(
    fig: go.Figure, x_range: tuple[float, float], y_range: tuple[float, float], log: bool = True
) -> None:
    """Draw reference marks (M/Q, M) of ``awa.chem.physics.SPECIES`` inside the axis ranges
    (on log axes when ``log``, else linear)."""
    xs, ys, names = [], [], []
    for sp in physics.SPECIES:
        if x_range[0] <= sp.mpq <= x_range[1] and y_range[0] <= sp.mass <= y_range[1]:
            xs.append(sp.mpq)
            ys.append(sp.mass)
            names.append(sp.name)
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, text=names, mode="markers",
            marker={"symbol": "circle-open", "size": 16, "color": "#d62728", "line": {"width": 2}},
            hovertemplate="%{text}: M/Q %{x:.2f} amu/e, M %{y:.2f} amu<extra></extra>",
            name="species", showlegend=False,
        )
    )  # fmt: skip
    for x, y, name in zip(xs, ys, names, strict=True):
        fig.add_annotation(
            x=np.log10(x) if log else x, y=np.log10(y) if log else y, text=name,
            showarrow=False, xanchor="left", yanchor="bottom", xshift=7, yshift=5,
            font={"color": "#b01c1c", "size": 12},
            bgcolor="rgba(255,255,255,0.75)", borderpad=1,
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

    def axis_range(r: tuple[float, float]) -> list[float]:
        return [float(np.log10(r[0])), float(np.log10(r[1]))] if log else [r[0], r[1]]

    kind = "log" if log else "linear"
    fig.update_xaxes(title_text=schema.label("mpq"), type=kind, range=axis_range(view.mmq_x))
    fig.update_yaxes(title_text=schema.label("mass"), type=kind, range=axis_range(view.mmq_y))
    if view.mmq_refs:
        species_marks(fig, view.mmq_x, view.mmq_y, log)
    return fig
