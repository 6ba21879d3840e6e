"""Shared pieces of the AWA figures: the plotly template, message figures, captions.

Every figure uses :data:`TEMPLATE`: plotly's default look with the ``awa`` template on top,
which holds the shared font, the white backgrounds and the axis style (a grey frame with
ticks outside).  A figure sets only what differs from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from awa.figures.text import duration_text
from awa.model import Selection, TimeRange, format_time_ranges

#: Colour scale of count histograms (white at the low end reads well on a white page).
COLORSCALE = "Viridis"
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 12}
#: Axis style of every figure: a grey frame on all four sides, ticks outside.
AXIS_STYLE: dict[str, Any] = {
    "showline": True,
    "linecolor": "#888",
    "mirror": True,
    "ticks": "outside",
}
#: Time axes add light vertical grid lines.
TIME_GRID: dict[str, Any] = {"showgrid": True, "gridcolor": "#eee"}

pio.templates["awa"] = go.layout.Template(
    layout={
        "font": FONT,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "xaxis": AXIS_STYLE,
        "yaxis": AXIS_STYLE,
    }
)
#: The template of every AWA figure (plotly's default with the ``awa`` template on top).
TEMPLATE = "plotly+awa"


def message_figure(message: str, title: str = "") -> go.Figure:
    """A blank figure that shows ``message`` where the plot would be."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": "#444"},
        align="center",
    )
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01} if title else None,
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 20, "r": 20, "t": 50 if title else 20, "b": 20},
        meta={"awa_message": message},
    )
    return fig


def span_text(times: tuple[TimeRange, ...]) -> str:
    """Human text of the time ranges: ISO-like start/end and total duration
    (:func:`awa.figures.text.duration_text`)."""
    if not times:
        return "all times"
    length = duration_text(sum(r.seconds for r in times))

    def fmt(t: datetime) -> str:
        return t.strftime("%Y-%m-%d %H:%M")

    if len(times) == 1:
        r = times[0]
        return f"{fmt(r.start)} to {fmt(r.end)} UTC ({length}; {format_time_ranges(times)})"
    return f"{len(times)} ranges, {length} in all ({format_time_ranges(times)})"


def caption(what: str, n_shown: int, n_selected: int, sel: Selection) -> str:
    """Caption text: ``what``, the counts, the time span and the active filters."""
    return (
        f"{what}: {n_shown:,} events of {n_selected:,} selected. "
        f"Time: {span_text(sel.times)}. Filters: {sel.describe() or 'none'}."
    )


def base_layout(fig: go.Figure, title: str, **layout: Any) -> None:
    """Common layout: the AWA template, the title and margins; ``layout`` overrides.

    Parameters
    ----------
    fig : go.Figure
        The figure, changed in place.
    title : str
        Figure title (top left, 14 px).
    **layout
        Further layout properties (they win over the defaults set here).
    """
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "font": {"size": 14}},
        margin={"l": 70, "r": 20, "t": 45, "b": 55},
    )
    if layout:
        fig.update_layout(**layout)
