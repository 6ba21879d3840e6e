"""The "Matrix elements" tab: the ME picture, its options, the ME timeline and downloads.

Layout and wiring only.  Like every view option, the tab's options (colour limits, axis
window, timeline boxes: URL keys ``mez``, ``mex``, ``mey``, ``boxes``) live in the page
URL: their inputs are controls of ``awa.pages.controls.CONTROLS`` kept in step with the URL
by the page's sync callback, and the figures (:func:`awa.views.me_view`,
:func:`awa.views.me_timeline_view`) are drawn from the URL alone, so a shared URL
reproduces the tab.  A click on a box toggles it in the boxes input, which updates the URL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

import dash
from dash import Input, Output, State, dcc, html

from awa import views
from awa.filters import ALL_BOXES, format_boxes, parse_boxes
from awa.pages.controls import Ids
from awa.settings import Settings


class MeIds(StrEnum):
    """Component ids of the ME tab (graph, caption and option ids are in ``Ids``)."""

    DOWNLOAD = "me-download"
    TL_GRAPH = "me-tl-graph"
    TL_CAPTION = "me-tl-caption"
    TL_DOWNLOAD = "me-tl-download"


def _input(cid: str, placeholder: str, width: str) -> dcc.Input:
    return dcc.Input(id=cid, type="text", debounce=True, placeholder=placeholder,
                     className="awa-input", style={"width": width})  # fmt: skip


def _field(label: str, component: Any) -> html.Div:
    return html.Div([html.Label(label, className="awa-label"), component], className="awa-field")


def _graph(cid: str, height: str, config: dict[str, Any]) -> dcc.Loading:
    return dcc.Loading(dcc.Graph(id=cid, config=cast(Any, config), style={"height": height}),
                       type="default", delay_show=300)  # fmt: skip


def me_tab(config: dict[str, Any]) -> html.Div:
    """The tab's content (``config``: the page's graph config)."""
    return html.Div(
        [
            html.Div(
                [
                    _field("colour, counts", _input(Ids.ME_Z, "auto", "96px")),
                    _field("M/Q window, amu/e", _input(Ids.ME_X, "0.65,74", "96px")),
                    _field("M window, amu", _input(Ids.ME_Y, "0.69,113", "96px")),
                    _field("timeline boxes", _input(Ids.ME_BOXES, "all", "150px")),
                ],
                className="awa-options",
            ),
            html.Div(
                "Empty fields: whole grid, automatic colours, all boxes. Boxes: e.g. 55 (H+), "
                "90 (He++), 291 (O+), 252-256 (background); click a box to add or remove it.",
                className="awa-hint",
            ),
            _graph(Ids.ME_GRAPH, "600px", config),
            html.Div(id=Ids.ME_CAPTION, className="awa-caption"),
            html.Div(
                [html.A("ME box totals CSV", id=MeIds.DOWNLOAD, href="", download="")],
                className="awa-downloads",
            ),
            _graph(MeIds.TL_GRAPH, "260px", config),
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


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Wire the page URL to the tab's figures, and box clicks to the boxes input."""

    @app.callback(
        Output(Ids.ME_GRAPH, "figure"),
        Output(Ids.ME_CAPTION, "children"),
        Output(MeIds.DOWNLOAD, "href"),
        Output(Ids.ME_GRAPH, "config"),
        Input(Ids.URL, "search"),
    )
    def _picture(search: str | None) -> Any:
        return picture_outputs(settings, search)

    @app.callback(
        Output(MeIds.TL_GRAPH, "figure"),
        Output(MeIds.TL_CAPTION, "children"),
        Output(MeIds.TL_DOWNLOAD, "href"),
        Output(MeIds.TL_GRAPH, "config"),
        Input(Ids.URL, "search"),
    )
    def _timeline(search: str | None) -> Any:
        return timeline_outputs(settings, search)

    # The sync callback also writes this input (from the URL); a click changes it here and
    # the sync callback then carries the new boxes into the URL.
    @app.callback(
        Output(Ids.ME_BOXES, "value", allow_duplicate=True),
        Input(Ids.ME_GRAPH, "clickData"),
        State(Ids.ME_BOXES, "value"),
        prevent_initial_call=True,
    )
    def _click(click: dict[str, Any] | None, boxes: str | None) -> Any:
        return toggle_box(click, boxes)
