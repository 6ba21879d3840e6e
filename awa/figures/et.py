"""E-T figure: TOF channel (x) versus Energy channel (y) of PHA events (spec section 4)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from awa.figures.common import message_figure
from awa.figures.histogram import RICH_HOVER_CELLS, add_title, centres, log_heatmap
from awa.model import ViewOptions
from awa.query import Hist2D

#: Channel -> physical unit factors (spec section 4): ns = ch * 320/1023, keV = ch * 1500/1023.
NS_PER_CH = 320.0 / 1023.0
KEV_PER_CH = 1500.0 / 1023.0


def et_figure(hist: Hist2D, view: ViewOptions, title: str) -> go.Figure:
    """Heatmap of an E-T histogram (counts per bin, log colour scale).

    Parameters
    ----------
    hist : Hist2D
        From :func:`awa.query.et_histogram`: x = TOF channel, y = Energy channel.
    view : ViewOptions
        Units (channels or ns/keV), axis ranges (channels), colour range (counts).
    title : str
        Figure title (counts and time span).
    """
    if hist.n_selected == 0:
        return message_figure(
            "No events match the selection.<br>Widen the time range or filters.", title
        )
    physical = view.et_units == "physical"
    xc, yc = centres(hist.x_edges), centres(hist.y_edges)
    fx, fy = (NS_PER_CH, KEV_PER_CH) if physical else (1.0, 1.0)
    ny, nx = hist.counts.shape
    unit_x, unit_y = ("ns", "keV") if physical else ("ch", "ch")
    if ny * nx <= RICH_HOVER_CELLS:
        # x and y carry the shown unit; customdata the counts and the other unit
        ox, oy = (xc, yc) if physical else (xc * NS_PER_CH, yc * KEV_PER_CH)
        other_x, other_y = ("ch", "ch") if physical else ("ns", "keV")
        custom = np.stack(
            [
                hist.counts,
                np.broadcast_to(ox, (ny, nx)),
                np.broadcast_to(oy[:, None], (ny, nx)),
            ],
            axis=-1,
        )
        hover = (
            f"TOF %{{x:.1f}} {unit_x} = %{{customdata[1]:.1f}} {other_x}<br>"
            f"Energy %{{y:.1f}} {unit_y} = %{{customdata[2]:.1f}} {other_y}<br>"
            "counts %{customdata[0]:,.0f}<extra></extra>"
        )
    else:
        # lean payload for fine grids: counts only, float32 (exact below 16.7 million a bin)
        custom = hist.counts[..., None].astype(np.float32)
        hover = (
            f"TOF %{{x:.1f}} {unit_x}<br>Energy %{{y:.1f}} {unit_y}<br>"
            "counts %{customdata[0]:,.0f}<extra></extra>"
        )
    fig = go.Figure(log_heatmap(hist.counts, xc * fx, yc * fy, view.z_range, hover, custom))
    add_title(fig, title)
    fig.update_xaxes(
        title_text="time of flight, ns" if physical else "TOF channel (ch; ns = ch·320/1023)",
        range=[view.et_x[0] * fx, view.et_x[1] * fx],
        showline=True, linecolor="#888", mirror=True, ticks="outside",
    )  # fmt: skip
    fig.update_yaxes(
        title_text="residual energy, keV" if physical
        else "Energy channel (ch; keV = ch·1500/1023)",
        range=[view.et_y[0] * fy, view.et_y[1] * fy],
        showline=True, linecolor="#888", mirror=True, ticks="outside",
    )  # fmt: skip
    return fig
