"""The coverage page: which days the archive holds, how much, and what verify found.

A year-by-day calendar (data per day and quality) and a list of the daily files.  Clicking
a day in the calendar, or its date in the list, opens the data browser on that day
(``/?t=YYYY-DDD``).  Everything comes from the coverage table the store build wrote
(:mod:`awa.coverage`); the same summary is served as JSON at ``/api/coverage``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, cast

import dash
from dash import Input, Output, dcc, html

from awa import coverage
from awa.figures.common import message_figure
from awa.figures.coverage import METRICS, calendar_figure
from awa.figures.text import plural, singular_counts
from awa.pages.shell import header
from awa.settings import Settings

GRAPH_CONFIG: dict[str, Any] = {"displaylogo": False, "scrollZoom": False,
                                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}  # fmt: skip


class CovIds(StrEnum):
    """Component ids of the coverage page."""

    METRIC = "cov-metric"
    CALENDAR = "cov-calendar"
    GO = "cov-go"
    SUMMARY = "cov-summary"
    LIST = "cov-list"
    DAY = "cov-day"
    SIMULATED = "cov-simulated"

    def of(self, date: dt.date) -> str:
        """Id of the component of one day (``DAY``: ``cov-day-YYYY-MM-DD``)."""
        return f"{self.value}-{date.isoformat()}"


#: What the coverage page says of simulated stores (the demo).
SIMULATED_NOTE = (
    "These are the demo's simulated days (awa-build demo), not the archive. The simulator "
    "writes the archive's quirks into its files on purpose, a few per day: "
    + "; ".join(coverage.SIMULATED_QUIRKS)
    + ". So every day is marked 'warnings': the findings show that the build found and "
    "handled them (the filters reject the bad events and spins)."
)


def summary_text(summary: dict[str, Any]) -> str:
    """One paragraph summarising the archive (from :func:`awa.coverage.summarize`)."""
    status = summary["status"]
    span = (
        f"{summary['first_day']} to {summary['last_day']}"
        if summary["first_day"]
        else "no day with data"
    )
    gaps = summary["missing_days"]
    return (
        f"{plural(summary['days_with_data'], 'day')} with data of "
        f"{plural(summary['files'], 'daily file')} ({span}); {status['good']} good, "
        f"{status['warnings']} with warnings, {status['bad']} bad. "
        f"{plural(summary['spins'], 'spin')}, {plural(summary['cycles'], 'cycle')}, "
        f"{plural(summary['pha_events'], 'PHA event')}; calibration "
        f"{summary['calibration_minutes']:,} min; "
        f"{plural(summary['bad_period_spins'], 'spin')} in bad periods; "
        f"{plural(gaps, 'missing day')} inside the span. "
        f"Built {summary['build_time'] or 'unknown'}."
    )


def _cell(text: Any, cls: str = "") -> html.Td:
    return html.Td(text, className=cls) if cls else html.Td(text)


def day_rows(cov: coverage.Coverage, prefix: str = "/") -> list[html.Tr]:
    """One table row per daily file, newest last; the date links to the browser."""
    rows = []
    for d in cov.days:
        link = prefix.rstrip("/") + coverage.browse_link(d.date)
        gaps = d.gaps
        gap_text = ", ".join(f"{a:%H:%M}-{b:%H:%M}" if b.date() == a.date() else
                             f"{a:%H:%M}-24:00" for a, b in gaps) or "none"  # fmt: skip
        findings = [singular_counts(w) for w in d.warnings]
        if d.bad_period_spins:
            findings.insert(0, f"{d.bad_period_spins:,} spins in a bad period")
        if d.reason:
            findings.insert(0, d.reason)
        rows.append(
            html.Tr(
                [
                    _cell(
                        html.A(d.date.isoformat(), href=link) if d.has_data else d.date.isoformat()
                    ),
                    _cell(f"{d.date.timetuple().tm_yday:03d}"),
                    _cell(d.file),
                    _cell(d.status, f"awa-status-{d.status}"),
                    _cell(f"{d.spins:,}", "awa-num"),
                    _cell(f"{d.cycles:,}", "awa-num"),
                    _cell(f"{d.pha_events:,}", "awa-num"),
                    _cell(f"{d.calibration_cycles} / {d.calibration_minutes:g}", "awa-num"),
                    _cell(gap_text),
                    _cell("; ".join(findings) or "-", "awa-findings"),
                ],  # fmt: skip
                id=CovIds.DAY.of(d.date),
            )
        )
    return rows


def day_table(cov: coverage.Coverage, prefix: str = "/") -> html.Table:
    """The list of daily files."""
    heads = ["date", "day", "file", "status", "spins", "cycles", "PHA events",
             "calibration cycles / min", "gaps > 30 min (UTC)", "verify findings"]  # fmt: skip
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(day_rows(cov, prefix))],
        className="awa-table",
    )


def layout(settings: Settings, prefix: str = "/") -> html.Div:
    """The coverage page (read once per visit: the table is small)."""
    try:
        cov = coverage.read_coverage(settings.data_dir)
    except coverage.CoverageMissingError as exc:
        body: list[Any] = [html.Div(f"No coverage table: {exc}", className="awa-message",
                                    role="alert")]  # fmt: skip
    else:
        summary = coverage.summarize(cov)
        body = [
            html.Div(summary_text(summary), id=CovIds.SUMMARY, className="awa-caption"),
            *([html.Div(SIMULATED_NOTE, id=CovIds.SIMULATED, className="awa-note")]
              if coverage.is_simulated(settings.data_dir) else []),  # fmt: skip
            html.Div(
                [
                    html.Label("calendar shows", className="awa-label"),
                    dcc.RadioItems(
                        id=CovIds.METRIC,
                        options=[{"label": v[0], "value": k} for k, v in METRICS.items()],
                        value="pha_events",
                        inline=True,
                        className="awa-radio",
                    ),
                ],
                className="awa-options",
            ),  # fmt: skip
            dcc.Graph(
                id=CovIds.CALENDAR,
                config=cast(Any, GRAPH_CONFIG),
                figure=calendar_figure(cov, "pha_events"),
            ),  # fmt: skip
            html.Div(
                "Click a day in the calendar or a date in the list to open the data browser "
                "on that day. Quality: the findings of 'awa-build verify' (repeated spin times, "
                "clipped times, out-of-order spins, fill values, rate relations, bad periods).",
                className="awa-hint",
            ),
            html.H3("Daily files"),
            html.Div(day_table(cov, prefix), id=CovIds.LIST, className="awa-table-wrap"),
        ]
    return html.Div(
        [
            header("coverage", prefix),
            dcc.Location(id=CovIds.GO, refresh=True),
            html.Div(
                [html.H2("Data coverage"), *body],
                className="awa-card awa-page-body",
            ),
        ],
        className="awa-page",
    )


def calendar_outputs(settings: Settings, metric: str | None) -> Any:
    """The calendar for ``metric`` (a message figure when the table is absent)."""
    try:
        cov = coverage.read_coverage(settings.data_dir)
    except coverage.CoverageMissingError as exc:
        return message_figure(str(exc), "Data coverage")
    return calendar_figure(cov, metric if metric in METRICS else "pha_events")


def click_target(click: dict[str, Any] | None, prefix: str = "/") -> Any:
    """Browser URL of the clicked calendar day (no update when the click is not on a day)."""
    try:
        iso = str((click or {})["points"][0]["customdata"])
        day = dt.date.fromisoformat(iso)
    except (KeyError, IndexError, TypeError, ValueError):
        return dash.no_update
    return prefix.rstrip("/") + coverage.browse_link(day)


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Metric choice -> calendar; calendar click -> browser on that day."""
    prefix = str(app.config.requests_pathname_prefix or "/")

    @app.callback(
        Output(CovIds.CALENDAR, "figure"),
        Input(CovIds.METRIC, "value"),
        prevent_initial_call=True,
    )
    def _metric(metric: str | None) -> Any:
        return calendar_outputs(settings, metric)

    @app.callback(
        Output(CovIds.GO, "href"),
        Input(CovIds.CALENDAR, "clickData"),
        prevent_initial_call=True,
    )
    def _click(click: dict[str, Any] | None) -> Any:
        return click_target(click, prefix)
