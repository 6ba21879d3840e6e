"""E-T figure: TOF channel (x) versus Energy channel (y) of PHA events (spec section 4)."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from awa.chem import schema
from awa.chem.physics import E_KEV_PER_CHANNEL, T_NS_PER_CHANNEL
from awa.figures.common import message_figure
from awa.figures.histogram import (
    LEVEL_CELLS,
    RICH_HOVER_CELLS,
    add_title,
    centres,
    level_heatmap,
    log_heatmap,
)
from awa.model import ViewOptions
from awa.query.results import Hist2D


def et_axis_labels(physical: bool) -> tuple[str, str]:
    """Titles of the E-T axes (x: TOF, y: energy) in physical units or in channels."""
    if physical:
        return schema.label("T_ns"), schema.label("E_keV")
    return schema.label("TOF"), schema.label("Energy")


def et_figure(hist: Hist2D, view: ViewOptions, title: str) -> go.Figure:
    """Heatmap of an E-T histogram (counts per bin, log colour scale).

    Parameters
    ----------
    hist : Hist2D
        From :func:`awa.query.et_histogram`: x = TOF channel, y = Energy channel.
    view : ViewOptions
        Units (channels or ns/keV), axis ranges (channels), colour range (counts).
    title : str
        Figure title (counts and time span); ``view.title``, when given, replaces it.

    Grids above ``LEVEL_CELLS`` (the team's 501 x 501 channels) are drawn as colour levels
    without counts in the hover (:func:`awa.figures.histogram.level_heatmap`).  With
    ``view.et_tick`` the ticks of both axes are that many channels apart.
    """
    if hist.n_selected == 0:
        return message_figure(
            "No events match the selection.<br>Widen the time range or filters.", title
        )
    physical = view.et_units == "physical"
    xc, yc = centres(hist.x_edges), centres(hist.y_edges)
    fx, fy = (T_NS_PER_CHANNEL, E_KEV_PER_CHANNEL) if physical else (1.0, 1.0)
    ny, nx = hist.counts.shape
    unit_x, unit_y = ("ns", "keV") if physical else ("ch", "ch")
    trace: go.Heatmap
    if ny * nx > LEVEL_CELLS:
        hover = f"TOF %{{x:.1f}} {unit_x}<br>Energy %{{y:.1f}} {unit_y}<extra></extra>"
        trace = level_heatmap(hist.counts, xc * fx, yc * fy, view.z_range, hover)
    elif ny * nx <= RICH_HOVER_CELLS:
        # x and y carry the shown unit; customdata the counts and the other unit
        ox, oy = (xc, yc) if physical else (xc * T_NS_PER_CHANNEL, yc * E_KEV_PER_CHANNEL)
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
        trace = log_heatmap(hist.counts, xc * fx, yc * fy, view.z_range, hover, custom)
    else:
        # lean payload for fine grids: counts only, float32 (exact below 16.7 million a bin)
        custom = hist.counts[..., None].astype(np.float32)
        hover = (
            f"TOF %{{x:.1f}} {unit_x}<br>Energy %{{y:.1f}} {unit_y}<br>"
            "counts %{customdata[0]:,.0f}<extra></extra>"
        )
        trace = log_heatmap(hist.counts, xc * fx, yc * fy, view.z_range, hover, custom)
    fig = go.Figure(trace)
    add_title(fig, plot_title(view, title))
    x_title, y_title = et_axis_labels(physical)
    fig.update_xaxes(title_text=x_title, range=[view.et_x[0] * fx, view.et_x[1] * fx])
    fig.update_yaxes(title_text=y_title, range=[view.et_y[0] * fy, view.et_y[1] * fy])
    if view.et_tick:
        fig.update_xaxes(tick0=0, dtick=view.et_tick * fx)
        fig.update_yaxes(tick0=0, dtick=view.et_tick * fy)
    return fig


def plot_title(view: ViewOptions, title: str) -> str:
    """The figure title: the custom ``view.title`` (as plain text) or ``title``."""
    return html.escape(view.title, quote=False) if view.title else title
