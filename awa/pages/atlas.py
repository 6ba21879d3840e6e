"""The atlas page: a month of quick-look thumbnails, paged by month.

The images are rendered by the build (``awa-build atlas``) and served as static files from
``/atlas-files/`` (:mod:`awa.api`); this page only lays them out.  The month is in the URL
(``/atlas?month=1986-02``); each thumbnail opens the data browser on its day and its
"full size" link the day's full image.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from dash import Input, Output, dcc, html

from awa import coverage
from awa.pages.shell import ShellIds, header
from awa.settings import Settings

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class AtlasIds(StrEnum):
    """Component ids of the atlas page."""

    GRID = "atlas-grid"
    TITLE = "atlas-title"
    PREV_DATA = "atlas-prev-data"
    PREV = "atlas-prev"
    NEXT = "atlas-next"
    NEXT_DATA = "atlas-next-data"
    DAY = "atlas-day"
    FIRST = "atlas-first"

    def of(self, date: dt.date) -> str:
        """Id of the component of one day (``DAY``: ``atlas-day-YYYY-MM-DD``)."""
        return f"{self.value}-{date.isoformat()}"


def month_of(search: str | None, months: list[str]) -> str | None:
    """The month a query string asks for (``month=YYYY-MM``), else the first month with
    images; a month outside the atlas is kept (the page says it has no images)."""
    values = parse_qs((search or "").lstrip("?")).get("month", [])
    parsed = coverage.parse_month(values[0]) if values else None
    if parsed is not None:
        return f"{parsed[0]:04d}-{parsed[1]:02d}"
    return months[0] if months else None


def month_error(search: str | None) -> str | None:
    """Message for a ``month`` the query string gives but that is no month (``1986-13``,
    ``abc``); None when it is valid or absent."""
    values = parse_qs((search or "").lstrip("?")).get("month", [])
    if not values or coverage.parse_month(values[0]) is not None:
        return None
    shown = values[0] if len(values[0]) <= 40 else values[0][:37] + "..."
    return (
        f"Invalid month {shown!r}: write the month as YYYY-MM, month 01 to 12 "
        f"(e.g. month=1986-02)."
    )


def _shift(month: str, step: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + (mon - 1) + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def pager(month: str, months: list[str], prefix: str = "/") -> html.Div:
    """Links to the previous and next month with images (and the neighbouring months)."""
    base = prefix.rstrip("/") + "/atlas?month="
    earlier = [m for m in months if m < month]
    later = [m for m in months if m > month]

    def link(label: str, target: str | None, cid: str) -> Any:
        if target is None:
            return html.Span(label, className="awa-pager-off", id=cid)
        return dcc.Link(label, href=base + target, className="awa-pager-link", id=cid)

    return html.Div(
        [
            link(
                "<< previous month with images",
                earlier[-1] if earlier else None,
                AtlasIds.PREV_DATA,
            ),
            link("< month before", _shift(month, -1), AtlasIds.PREV),
            html.Span(
                dt.date(int(month[:4]), int(month[5:7]), 1).strftime("%B %Y"),
                className="awa-pager-month",
                id=AtlasIds.TITLE,
            ),
            link("month after >", _shift(month, 1), AtlasIds.NEXT),
            link("next month with images >>", later[0] if later else None, AtlasIds.NEXT_DATA),
        ],  # fmt: skip
        className="awa-pager",
    )


def month_grid(days: tuple[coverage.AtlasDay, ...], month: str, prefix: str = "/") -> html.Div:
    """Calendar grid (Monday first) of the month's thumbnails; days without images are blank."""
    year, mon = (int(p) for p in month.split("-"))
    by_date = {d.date: d for d in days}
    files = prefix.rstrip("/") + "/atlas-files/"
    cells: list[Any] = [html.Div(w, className="awa-atlas-weekday") for w in WEEKDAYS]
    first_weekday, n_days = calendar.monthrange(year, mon)
    cells += [html.Div(className="awa-atlas-cell awa-atlas-blank")] * first_weekday
    for n in range(1, n_days + 1):
        date = dt.date(year, mon, n)
        entry = by_date.get(date)
        label = f"{date.isoformat()} (day {date.timetuple().tm_yday:03d})"
        if entry is None:
            cells.append(html.Div([html.Div(label, className="awa-atlas-date"),
                                   html.Div("no image", className="awa-atlas-none")],
                                  className="awa-atlas-cell awa-atlas-empty"))  # fmt: skip
            continue
        note = "" if entry.science_data else " - no science data"
        cells.append(
            html.Div(
                [
                    html.Div(label + note, className="awa-atlas-date"),
                    html.A(
                        html.Img(
                            src=files + entry.thumb,
                            alt=f"quick look {date.isoformat()}",
                            className="awa-atlas-thumb",
                        ),
                        href=prefix.rstrip("/") + coverage.browse_link(date),
                        title=f"open {date.isoformat()} in the data browser",
                        className="awa-atlas-open",
                    ),
                    html.A(
                        "full size",
                        href=files + entry.image,
                        target="_blank",
                        className="awa-atlas-full",
                    ),
                ],  # fmt: skip
                className="awa-atlas-cell",
                id=AtlasIds.DAY.of(date),
            )
        )
    return html.Div(cells, className="awa-atlas-grid")


def month_content(settings: Settings, search: str | None, prefix: str = "/") -> list[Any]:
    """Pager and grid for the month in ``search`` (or a message naming the build command)."""
    try:
        days = coverage.read_atlas_index(settings.data_dir)
    except coverage.CoverageMissingError as exc:
        return [html.Div(f"No atlas: {exc}", className="awa-message", role="alert")]
    months = coverage.atlas_months(days)
    error = month_error(search)
    if error is not None:
        out: list[Any] = [html.Div(error, className="awa-message", role="alert")]
        if months:
            out.append(html.Div([
                f"The atlas covers {months[0]} to {months[-1]}: ",
                dcc.Link(f"open {months[0]}", href=prefix.rstrip("/") + "/atlas?month="
                         + months[0], id=AtlasIds.FIRST),
            ], className="awa-caption"))  # fmt: skip
        return out
    month = month_of(search, months)
    if month is None:
        return [html.Div("The atlas index lists no days; render them with 'awa-build atlas'.",
                         className="awa-message", role="alert")]  # fmt: skip
    in_month = sum(1 for d in days if f"{d.date:%Y-%m}" == month)
    return [
        pager(month, months, prefix),
        html.Div(
            f"{in_month} day(s) with images this month; {len(days)} in the atlas "
            f"({months[0]} to {months[-1]}). Click a thumbnail to open that day in the "
            f"data browser.",
            className="awa-caption",
        ),
        month_grid(days, month, prefix),
    ]


def layout(settings: Settings, search: str | None = None, prefix: str = "/") -> html.Div:
    """The atlas page for the month in ``search``; paging re-fills the grid by a callback."""
    return html.Div(
        [
            header("atlas", prefix),
            html.Div(
                [
                    html.H2("Quick-look atlas"),
                    html.Div(month_content(settings, search, prefix), id=AtlasIds.GRID),
                ],
                className="awa-card awa-page-body",
            ),
        ],
        className="awa-page",
    )


def register_callbacks(app: Any, settings: Settings) -> None:
    """URL query (``month``) -> the month's pager and grid."""
    prefix = str(app.config.requests_pathname_prefix or "/")

    @app.callback(
        Output(AtlasIds.GRID, "children"),
        Input(ShellIds.LOCATION, "search"),
        prevent_initial_call=True,
    )
    def _grid(search: str | None) -> list[Any]:
        return month_content(settings, search, prefix)
