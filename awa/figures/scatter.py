"""WebGL scatter of individual PHA events (E-T or M-M/Q), coloured by range, SSD or sector."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from awa.chem import schema
from awa.chem.physics import E_KEV_PER_CHANNEL, T_NS_PER_CHANNEL
from awa.figures.common import message_figure
from awa.figures.et import et_axis_labels
from awa.figures.histogram import add_title
from awa.figures.mmq import log_axis, species_marks
from awa.figures.text import plural
from awa.model import ViewOptions
from awa.query.results import EventSample


def scatter_figure(sample: EventSample, view: ViewOptions, kind: str, title: str) -> go.Figure:
    """Scatter of the events of ``sample``.

    Parameters
    ----------
    sample : EventSample
        Complete selection from :func:`awa.query.select_events` (with E_keV, T_ns, mass,
        mpq).
    view : ViewOptions
        Colour column (``scatter_color``), units and axis ranges.
    kind : str
        ``et`` (TOF vs energy) or ``mmq`` (M/Q vs mass, log axes).
    """
    cols = sample.columns
    if sample.n_selected == 0 or not cols:
        return message_figure("No events match the selection.", title)
    color_by = view.scatter_color
    physical = view.et_units == "physical"
    if kind == "et":
        x = cols["T_ns"] if physical else cols["TOF"]
        y = cols["E_keV"] if physical else cols["Energy"]
        keep = np.ones(len(x), dtype=bool)
    else:
        x, y = cols["mpq"], cols["mass"]
        keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    times = cols["SpinStartTime"].astype("datetime64[ns]").astype("datetime64[s]").astype(str)
    custom = np.column_stack(
        [times, cols["TOF"], cols["Energy"], np.round(cols["T_ns"], 1),
         np.round(cols["E_keV"], 1), np.round(cols["mass"], 2), np.round(cols["mpq"], 2),
         cols["Range"], cols["SSDID"], cols["Sector"]]
    )  # fmt: skip
    hover = (
        "%{customdata[0]}<br>TOF ch %{customdata[1]} (%{customdata[3]} ns)<br>"
        "Energy ch %{customdata[2]} (%{customdata[4]} keV)<br>"
        "M %{customdata[5]} amu, M/Q %{customdata[6]} amu/e<br>"
        "Range %{customdata[7]}, SSD %{customdata[8]}, sector %{customdata[9]}<extra></extra>"
    )
    fig = go.Figure()
    values = cols[color_by]
    for v in np.unique(values[keep]):
        m = keep & (values == v)
        fig.add_trace(
            go.Scattergl(
                x=x[m], y=y[m], mode="markers", name=f"{color_by} {v}",
                marker={"size": 3, "opacity": 0.6}, customdata=custom[m], hovertemplate=hover,
            )
        )  # fmt: skip
    add_title(fig, title)
    fig.update_layout(legend={"title": {"text": color_by}, "itemsizing": "constant"})
    if kind == "et":
        fx, fy = (T_NS_PER_CHANNEL, E_KEV_PER_CHANNEL) if physical else (1.0, 1.0)
        x_title, y_title = et_axis_labels(physical)
        fig.update_xaxes(title_text=x_title, range=[view.et_x[0] * fx, view.et_x[1] * fx])
        fig.update_yaxes(title_text=y_title, range=[view.et_y[0] * fy, view.et_y[1] * fy])
    else:
        fig.update_xaxes(title_text=schema.label("mpq"), **log_axis(*view.mmq_x))
        fig.update_yaxes(title_text=schema.label("mass"), **log_axis(*view.mmq_y))
        if view.mmq_refs:
            species_marks(fig, view.mmq_x, view.mmq_y)
    return fig


def drawn_count(sample: EventSample, kind: str) -> int:
    """Events of ``sample`` the scatter can place: all of them on E-T; on M-M/Q those with a
    finite, positive mass and M/Q (doubles have no mass, PAPS off gives no M/Q)."""
    if kind == "et" or not sample.columns:
        return sample.n_selected
    x, y = sample.columns["mpq"], sample.columns["mass"]
    return int((np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)).sum())


def drawn_text(n_drawn: int, n_selected: int, kind: str) -> str:
    """What the scatter draws of the selection, e.g. "21,964 of 33,011 selected events have
    a mass and are drawn"."""
    if kind == "et" or n_drawn == n_selected:
        return f"{plural(n_selected, 'selected event')}, all drawn"
    return (f"{n_drawn:,} of {plural(n_selected, 'selected event')} have a mass and M/Q and are "
            f"drawn (doubles have no mass; PAPS off gives no M/Q)")  # fmt: skip
