"""Stacked timelines with one shared time axis (rates, orbit, housekeeping, Kp, Dst)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awa.chem import schema
from awa.figures.common import TIME_GRID, base_layout, message_figure
from awa.model.view import RATIO_COLUMNS, YRange, own_panel_quantities, yrange_for
from awa.query.results import Series

#: Panel -> (quantity of ``awa.chem.schema`` that labels its axis, is a count rate that may
#: use a log axis).
PANEL_QUANTITIES: dict[str, tuple[str, bool]] = {
    **{name: (name, True) for name in ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2")},
    **{name: (name, True) for name in ("R0", "R1", "R2")},
    "R/BR": ("R/BR", True),
    "L": ("L", False),
    "MLT": ("MLTH", False),
    "MAGLAT": ("MAGLAT", False),
    "PAPS": ("PAPS_kV", False),
    "VSTEP": ("Voltage_Step", False),
    "DPU": ("DPU_Mode", False),
    "TAC": ("TAC_Slope", False),
    "PRIORITY": ("PHA_Priority", False),
    "ME": ("ME_sum", True),
    "Kp": ("Kp", False),
    "Dst": ("Dst", False),
}
#: Panel -> (axis title with units, is a count rate that may use a log axis).
PANEL_LABELS: dict[str, tuple[str, bool]] = {
    panel: (schema.label(quantity), is_rate)
    for panel, (quantity, is_rate) in PANEL_QUANTITIES.items()
}
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#17becf")  # fmt: skip
#: Panels of codes and levels, drawn as steps.
STEP_PANELS = frozenset({"PAPS", "VSTEP", "DPU", "TAC", "PRIORITY"})
PANEL_PX = 120


def kp_bars(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """Kp as one value per 3-hour interval: interval starts (ns) and values."""
    t, v = series.t_ns, series.values
    ok = np.isfinite(v)
    if not ok.any():
        return np.zeros(0, np.int64), np.zeros(0)
    three_h = 3 * 3600 * 10**9
    slot = t[ok] // three_h
    uniq, first = np.unique(slot, return_index=True)
    return uniq * three_h, v[ok][first]


def panel_label(panel: str) -> tuple[str, bool]:
    """Axis title of a panel and whether it is a count rate (or ratio of rates) that may use
    a log axis; a panel of one's own is titled by its quantities."""
    own = own_panel_quantities(panel)
    if own is None:
        return PANEL_LABELS.get(panel, (panel, False))
    rates = all(q.split("/")[0] in RATIO_COLUMNS for q in own)
    return ", ".join(own), rates


def axis_range(
    bounds: tuple[float | None, float | None] | None, log: bool
) -> list[float | None] | None:
    """Plotly y-axis range of the bounds (None: automatic on that side; log10 on a log axis,
    where a bound <= 0 cannot be drawn and is automatic)."""
    if bounds is None or bounds == (None, None):
        return None
    if not log:
        return list(bounds)
    return [None if b is None or b <= 0 else float(np.log10(b)) for b in bounds]


def timeline_figure(
    data: dict[str, list[Series]],
    log_rates: bool,
    title: str,
    storm_dst: float | None = None,
    span: tuple[datetime, datetime] | None = None,
    yranges: tuple[YRange, ...] = (),
) -> go.Figure:
    """Stacked panels sharing the time axis; zooming one zooms all.

    Parameters
    ----------
    data : dict
        Panel -> series, from :func:`awa.query.timeline` (order kept; Kp and Dst last).
    log_rates : bool
        Log y axes for count-rate panels.
    title : str
        Figure title.
    storm_dst : float, optional
        Dst threshold drawn as a dashed line on the Dst panel, nT.
    span : (datetime, datetime), optional
        Initial time axis range (UTC); default: the data's extent.
    yranges : tuple of (name, low, high)
        Y ranges (:func:`awa.model.view.parse_yranges`, in the panel's units); a panel
        without one is scaled to its data.  Several quantities of a panel of one's own share
        its axis and are named in the legend.
    """
    panels = [p for p in data if data[p]]
    if not panels:
        return message_figure("Choose at least one timeline panel.", title)
    n = len(panels)
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.012 if n > 6
                        else 0.03)  # fmt: skip
    for row, panel in enumerate(panels, start=1):
        label, is_rate = panel_label(panel)
        own = own_panel_quantities(panel) is not None
        series_list = data[panel]
        if panel == "Kp":
            t, v = kp_bars(series_list[0])
            fig.add_trace(
                go.Bar(x=t.astype("datetime64[ns]"), y=v, marker_color=schema.kp_colours(v),
                       name="Kp", width=3 * 3600 * 1000 * 0.9, offset=0, showlegend=False,
                       hovertemplate="%{x|%Y-%m-%d %H:%M} Kp %{y:.3g}<extra></extra>"),
                row=row, col=1,
            )  # fmt: skip
            fig.update_yaxes(range=[0, 9], row=row, col=1)
        else:
            for i, s in enumerate(series_list):
                if panel == "Dst" and not np.isfinite(s.values).any():
                    fig.update_yaxes(showticklabels=False, row=row, col=1)
                    fig.add_annotation(text="Dst missing for this time range", x=0.5, y=0.5,
                                       xref=f"x{row} domain" if row > 1 else "x domain",
                                       yref=f"y{row} domain" if row > 1 else "y domain",
                                       showarrow=False)  # fmt: skip
                fig.add_trace(
                    go.Scatter(
                        x=s.t_ns.astype("datetime64[ns]"), y=s.values, mode="lines",
                        line={"width": 1, "color": COLORS[i % (len(COLORS) if own else 3)],
                              "shape": "hv" if panel in STEP_PANELS else "linear"}, name=s.name,
                        connectgaps=False, showlegend=own, legendgroup=panel,
                        hovertemplate=f"%{{x|%Y-%m-%d %H:%M:%S}} {s.name} %{{y:.4g}}"
                        "<extra></extra>",
                    ),
                    row=row, col=1,
                )  # fmt: skip
            has_dst = any(np.isfinite(x.values).any() for x in series_list)
            if panel == "Dst" and storm_dst is not None and has_dst:
                fig.add_hline(y=storm_dst, line_dash="dash", line_color="#d62728",
                              row=row, col=1)  # fmt: skip
        log = is_rate and log_rates
        fig.update_yaxes(
            title_text=label, title_font={"size": 11}, type="log" if log else "linear",
            row=row, col=1,
        )  # fmt: skip
        yr = axis_range(yrange_for(yranges, panel), log)
        if yr is not None:  # the user's range, kept until it changes (not by a zoom)
            fig.update_yaxes(range=yr, uirevision=f"y {yr}", row=row, col=1)
        fig.update_xaxes(**TIME_GRID, row=row, col=1)
    fig.update_xaxes(title_text=schema.label("SpinStartTime"), row=n, col=1)
    if span is not None:
        fig.update_xaxes(range=[span[0], span[1]])
    base_layout(
        fig,
        title,
        height=90 + PANEL_PX * n,
        showlegend=any(own_panel_quantities(p) is not None for p in panels),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        dragmode="select",
        selectdirection="h",
        hovermode="x",
        margin={"l": 90, "r": 20, "t": 45, "b": 45},
        # A new time range resets zoom; a re-read of the zoomed span keeps it.
        uirevision=f"timeline {span}",
    )
    return fig


def timeline_caption(
    panels: tuple[str, ...],
    points: int,
    n_rows: int,
    times_text: str,
    zoom_text: str,
    filters: str | None,
    pc0: bool,
    kept: int | None = None,
) -> str:
    """Caption of the timelines: what is drawn, from how many rows, which filters apply.

    Parameters
    ----------
    panels : tuple of str
        Panel names (panels of one's own by their quantities).
    filters : str or None
        "With filters": the spin filters applied to the rates-store panels (their
        description); None: every spin is drawn.
    pc0 : bool
        Only the first spin of each sweep (``Period_Cntr == 0``) is drawn.
    kept : int, optional
        Spins of the rates-store panels kept by the filters and ``pc0``.
    """
    names = [panel_label(p)[0] if own_panel_quantities(p) else p for p in panels]
    text = (
        f"Timelines of {'; '.join(names)}; rates in counts/spin, decimated to about {points} "
        f"points per trace (minimum and maximum of each bucket) from {n_rows:,} rows. Time: "
        f"{times_text}.{zoom_text} "
    )
    if filters is None and not pc0:
        return text + "All spins in the time range (event filters apply to the PHA views)."
    which = []
    if filters is not None:
        which.append(f"with the spin filters ({filters}; spins that fail are left out, gaps where "
                     f"drawn spin by spin)")
    if pc0:
        which.append("period counter 0 only (the first spin of each sweep)")
    kept_text = f": {kept:,} spins kept" if kept is not None else ""
    return text + (
        f"Rate panels and panels of one's own {' and '.join(which)}{kept_text}; the orbit, "
        f"housekeeping, ME, Kp and Dst panels show every cycle."
    )
