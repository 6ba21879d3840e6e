"""The "Matrix elements" tab: the ME picture, its options, the ME timeline and downloads.

Layout and wiring only.  Like every view option, the tab's options (colour limits, axis
window, timeline boxes: URL keys ``mez``, ``mex``, ``mey``, ``boxes``) live in the page
URL: their inputs (``MeIds``) are controls of ``awa.pages.controls.CONTROLS`` kept in step
with the URL by the page's sync callback, and the figures (:func:`awa.views.me_view`,
:func:`awa.views.me_timeline_view`) are drawn from the URL alone, so a shared URL
reproduces the tab.  A click on a box toggles it in the boxes input, which updates the URL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import dash
from dash import Input, Output, State, html

from awa import views
from awa.model import ALL_BOXES, format_boxes, parse_boxes
from awa.pages.widgets import field, graph, text_input
from awa.settings import Settings


class MeIds(StrEnum):
    """Component ids of the ME tab."""

    GRAPH = "me-graph"
    CAPTION = "me-caption"
    Z = "me-z"
    X = "me-x"
    Y = "me-y"
    BOXES = "me-boxes"
    DOWNLOAD = "me-download"
    TL_GRAPH = "me-tl-graph"
    TL_CAPTION = "me-tl-caption"
    TL_DOWNLOAD = "me-tl-download"
    CYCLES_DOWNLOAD = "me-cycles-download"


def me_tab() -> html.Div:
    """The tab's content."""
    return html.Div(
        [
            html.Div(
                [
                    field("colour, counts", text_input(MeIds.Z, "auto", "96px")),
                    field("M/Q window, amu/e", text_input(MeIds.X, "0.65,74", "96px")),
                    field("M window, amu", text_input(MeIds.Y, "0.69,113", "96px")),
                    field("timeline boxes", text_input(MeIds.BOXES, "all", "150px")),
                ],
                className="awa-options",
            ),
            html.Div(
                "Empty fields: whole grid, automatic colours, all boxes. Boxes: e.g. 55 (H+), "
                "90 (He++), 291 (O+), 252-256 (background); click a box to add or remove it.",
                className="awa-hint",
            ),
            graph(MeIds.GRAPH, "600px"),
            html.Div(id=MeIds.CAPTION, className="awa-caption"),
            html.Div(
                [
                    html.A("ME box totals CSV", id=MeIds.DOWNLOAD, href="", download=""),
                    html.A(
                        "ME per cycle CSV (ME0-ME511)",
                        id=MeIds.CYCLES_DOWNLOAD,
                        href="",
                        download="",
                    ),  # fmt: skip
                ],
                className="awa-downloads",
            ),
            graph(MeIds.TL_GRAPH, "260px"),
            html.Div(id=MeIds.TL_CAPTION, className="awa-caption"),
            html.Div(
                [html.A("ME timeline CSV", id=MeIds.TL_DOWNLOAD, href="", download="")],
                className="awa-downloads",
            ),
        ],
        className="awa-card awa-wide",
    )


def _config(state: views.AppState) -> dict[str, Any]:
    return views.graph_config(views.BASE_GRAPH_CONFIG, state.view.image_format)


def picture_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """ME figure, caption, CSV link and graph config of a URL; nothing on another tab."""
    state = views.state_of(search)
    if state.view.tab != "me":
        return (dash.no_update,) * 4
    view = views.me_view(settings, state)
    return view.figure, view.caption, view.download, _config(state)


def cycles_link(settings: Settings, search: str | None) -> Any:
    """Link of the per-cycle CSV (ME0-ME511 of every selected cycle) of a URL; nothing on
    another tab.  The link carries the page's query (default time range filled in)."""
    state = views.state_of(search)
    if state.view.tab != "me":
        return dash.no_update
    return views.download_link("me_cycles", views.resolve_state(settings, state))


def timeline_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """ME timeline figure, caption, CSV link and graph config; nothing on another tab."""
    state = views.state_of(search)
    if state.view.tab != "me":
        return (dash.no_update,) * 4
    view = views.me_timeline_view(settings, state)
    return view.figure, view.caption, view.download, _config(state)


def toggle_box(click: dict[str, Any] | None, boxes_text: str | None) -> Any:
    """The timeline's box list after a click on the ME picture (add or remove that box).

    The clicked point's ``customdata`` starts with its box number; it arrives as a list, or
    as ``{"0": box, "1": ...}`` when the figure's arrays were sent as typed arrays.
    """
    try:
        custom = (click or {})["points"][0]["customdata"]
        box = int(custom["0"] if isinstance(custom, dict) else custom[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return dash.no_update
    try:
        current = set(parse_boxes(boxes_text))
    except ValueError:
        current = set()
    if tuple(sorted(current)) == ALL_BOXES:
        current = set()
    current ^= {box}
    return format_boxes(tuple(sorted(current))) if current else ""


def register_callbacks(app: dash.Dash, settings: Settings, url: str) -> None:
    """Wire the page URL (``url``: id of the page's location) to the tab's figures, and box
    clicks to the boxes input."""

    def outputs(graph_id: str, caption: str, download: str) -> dict[str, Output]:
        return {
            "figure": Output(graph_id, "figure"),
            "caption": Output(caption, "children"),
            "download": Output(download, "href"),
            "config": Output(graph_id, "config"),
        }

    @app.callback(
        output=outputs(MeIds.GRAPH, MeIds.CAPTION, MeIds.DOWNLOAD),
        inputs={"search": Input(url, "search")},
    )
    def _picture(search: str | None) -> dict[str, Any]:
        return _named(picture_outputs(settings, search))

    @app.callback(
        output={"href": Output(MeIds.CYCLES_DOWNLOAD, "href")},
        inputs={"search": Input(url, "search")},
    )
    def _cycles_link(search: str | None) -> dict[str, Any]:
        return {"href": cycles_link(settings, search)}

    @app.callback(
        output=outputs(MeIds.TL_GRAPH, MeIds.TL_CAPTION, MeIds.TL_DOWNLOAD),
        inputs={"search": Input(url, "search")},
    )
    def _timeline(search: str | None) -> dict[str, Any]:
        return _named(timeline_outputs(settings, search))

    # The sync callback also writes this input (from the URL); a click changes it here and
    # the sync callback then carries the new boxes into the URL.
    @app.callback(
        output={"boxes": Output(MeIds.BOXES, "value", allow_duplicate=True)},
        inputs={"click": Input(MeIds.GRAPH, "clickData")},
        state={"boxes": State(MeIds.BOXES, "value")},
        prevent_initial_call=True,
    )
    def _click(click: dict[str, Any] | None, boxes: str | None) -> dict[str, Any]:
        return {"boxes": toggle_box(click, boxes)}


def _named(values: tuple[Any, ...]) -> dict[str, Any]:
    """Figure, caption, CSV link and config of a figure callback, by name."""
    return dict(zip(("figure", "caption", "download", "config"), values, strict=True))
