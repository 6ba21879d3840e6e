"""Calendar of the archive: one row per year, one column per day of year (plotly only).

Each year has two strips: how much data the day holds (a chosen quantity, colour scale) and
the day's quality (the status of ``awa-build verify``: good, warnings, bad, or spins inside a
bad period).  Days without a file stay blank.  Every cell carries its date in ``customdata``
so that a click can open the data browser on that day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import plotly.graph_objects as go

from awa.coverage import Coverage, DayCoverage
from awa.figures.common import COLORSCALE, base_layout, message_figure
from awa.figures.text import plural, singular_counts

#: Quantities the data strip can show: attribute -> (label, unit).
METRICS: dict[str, tuple[str, str]] = {
    "pha_events": ("PHA events", "events/day"),
    "spins": ("spins", "spins/day"),
    "cycles": ("cycles", "cycles/day"),
    "calibration_minutes": ("calibration time", "min/day"),
}
#: Quality codes of the quality strip and their colours.
QUALITY = (("good", "#2ca02c"), ("warnings", "#f0a202"), ("bad", "#d62728"),
           ("bad period", "#7b3294"))  # fmt: skip
MONTH_STARTS = [dt.date(2001, m, 1).timetuple().tm_yday for m in range(1, 13)]
MONTH_NAMES = [dt.date(2001, m, 1).strftime("%b") for m in range(1, 13)]


def quality_code(day: DayCoverage) -> int:
    """0 good, 1 warnings, 2 bad, 3 spins inside a bad period (shown above the status)."""
    if day.bad_period_spins > 0:
        return 3
    return {"good": 0, "warnings": 1, "bad": 2}.get(day.status, 2)


def day_hover(day: DayCoverage) -> str:
    """Hover text of a day: numbers, status and verify findings."""
    lines = [
        f"<b>{day.date.isoformat()}</b> (day {day.date.timetuple().tm_yday:03d}) {day.file}",
        f"status: {day.status}" + (f" ({day.reason})" if day.reason else ""),
        f"{day.spins:,} spins, {day.cycles:,} cycles, {day.pha_events:,} PHA events",
        f"calibration: {day.calibration_cycles} cycles, {day.calibration_minutes:g} min",
    ]
    if day.bad_period_spins:
        lines.append(f"{day.bad_period_spins:,} spins in a bad period")
    gaps = day.gaps
    if gaps:
        lines.append(f"{plural(len(gaps), 'gap')}: " + ", ".join(
            f"{a:%H:%M}-{b:%H:%M}" if b.date() == a.date() else f"{a:%H:%M}-24:00"
            for a, b in gaps[:4]))  # fmt: skip
    if day.warnings:
        lines.append(singular_counts("; ".join(day.warnings[:6])))
    lines.append("click: open this day in the browser")
    return "<br>".join(lines)


#: Spans of the stores up to this many days get a day axis fitted to them, not a year.
FIT_DAYS = 120


def day_axis(year: int, dates: list[dt.date]) -> dict[str, object]:
    """Day-of-year axis of the calendar: the whole year, or -- when ``dates`` (the days of
    a one-year archive) span at most :data:`FIT_DAYS` days -- those days with a margin, at
    least two weeks wide and ticked by day (or by week), so a short archive (the demo's
    ten days) is drawn wide enough to read and click."""
    if not dates or (max(dates) - min(dates)).days + 1 > FIT_DAYS:
        return {"tickvals": MONTH_STARTS, "ticktext": MONTH_NAMES, "range": [0.5, 366.5],
                "title_text": "day of year (ticks: first of the month)"}  # fmt: skip
    lo, hi = (d.timetuple().tm_yday for d in (min(dates), max(dates)))
    pad = max(1, (14 - (hi - lo + 1)) // 2)
    lo, hi = max(1, lo - pad), min(366, hi + pad)
    step = 1 if hi - lo < 31 else 7
    ticks = list(range(lo, hi + 1, step))
    start = dt.date(year, 1, 1)
    labels = [(start + dt.timedelta(days=t - 1)).strftime("%b %d<br>%j") for t in ticks]
    return {"tickvals": ticks, "ticktext": labels, "range": [lo - 0.5, hi + 0.5],
            "title_text": f"{year}: date and day of year (the days of the stores)"}  # fmt: skip


def calendar_figure(cov: Coverage, metric: str = "pha_events") -> go.Figure:
    """Year-by-day calendar of the archive.

    Parameters
    ----------
    cov : Coverage
        The coverage table (:func:`awa.coverage.read_coverage`).
    metric : str
        Quantity of the data strip, a key of :data:`METRICS`.
    """
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not one of {', '.join(METRICS)}")
    label, unit = METRICS[metric]
    days = [d for d in cov.days if d.has_data or d.file]
    if not days:
        return message_figure("The coverage table lists no days.", "Data coverage")
    years = list(range(min(d.date.year for d in days), max(d.date.year for d in days) + 1))
    ny = len(years)
    value = np.full((ny, 366), np.nan)
    quality = np.full((ny, 366), np.nan)
    text = np.full((ny, 366), "", dtype=object)
    dates = np.full((ny, 366), "", dtype=object)
    for d in days:
        r, c = years.index(d.date.year), d.date.timetuple().tm_yday - 1
        value[r, c] = float(getattr(d, metric)) if d.has_data else np.nan
        quality[r, c] = quality_code(d)
        text[r, c] = day_hover(d)
        dates[r, c] = d.date.isoformat()
    doy = np.arange(1, 367)
    # rows: year i has its data strip at y = 2i and its quality strip at y = 2i + 1
    fig = go.Figure()
    top = float(np.nanmax(value)) if np.isfinite(value).any() else 1.0
    fig.add_trace(
        go.Heatmap(
            x=doy, y=np.arange(ny) * 2.0, z=value, text=text, customdata=dates,
            hovertemplate="%{text}<extra></extra>", colorscale=COLORSCALE, zmin=0,
            zmax=max(top, 1.0), hoverongaps=False, xgap=1, ygap=1, name=label,
            colorbar={"title": {"text": unit, "side": "right"}, "thickness": 12,
                      "len": 0.9},
        )
    )  # fmt: skip
    n_q = len(QUALITY)
    scale = []
    for i, (_, colour) in enumerate(QUALITY):
        scale += [[i / n_q, colour], [(i + 1) / n_q, colour]]
    fig.add_trace(
        go.Heatmap(
            x=doy, y=np.arange(ny) * 2.0 + 1, z=quality, text=text, customdata=dates,
            hovertemplate="%{text}<extra></extra>", colorscale=scale, zmin=-0.5,
            zmax=n_q - 0.5, showscale=False, hoverongaps=False, xgap=1, ygap=1,
            name="quality",
        )
    )  # fmt: skip
    # legend of the quality colours
    for name, colour in QUALITY:
        marker = {"symbol": "square", "size": 11, "color": colour}
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, marker=marker))
    ticks = [2 * i for i in range(ny)] + [2 * i + 1 for i in range(ny)]
    names = [f"{y} {label}" for y in years] + [f"{y} quality" for y in years]
    # a calendar, not a plot: no axis frame
    frameless = {"showline": False, "mirror": False, "ticks": ""}
    fig.update_yaxes(tickvals=ticks, ticktext=names, autorange="reversed", fixedrange=True,
                     showgrid=False, zeroline=False, **frameless)  # fmt: skip
    fig.update_xaxes(**day_axis(years[0], [d.date for d in days] if ny == 1 else []),
                     showgrid=True, gridcolor="#ddd", zeroline=False, **frameless)  # fmt: skip
    base_layout(
        fig,
        f"Data coverage by day: {label} and quality",
        plot_bgcolor="#f6f6f6",
        height=150 + 44 * ny,
        margin={"l": 150, "r": 20, "t": 45, "b": 45},
        legend={"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02,
                "yanchor": "bottom"},
        hovermode="closest",
        meta={"awa_kind": "coverage"},
    )  # fmt: skip
    return fig
