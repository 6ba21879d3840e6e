"""The "Matrix elements" tab: the ME picture, its options, the ME timeline and downloads.

Layout and wiring only: the options are parsed by :func:`awa.mequery.parse_me_options`, the
figures come from :func:`awa.views.me_view` and :func:`awa.views.me_timeline_view`.  The
selection (time, L) comes from the page URL like every other view; the drawing options of
this tab (colour limits, axis window, timeline boxes) are local to the tab.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

import dash
from dash import Input, Output, State, dcc, html

from awa import views
from awa.mequery import ALL_BOXES, format_boxes, parse_boxes, parse_me_options
from awa.pages.controls import Ids
from awa.settings import Settings


class MeIds(StrEnum):
    """Component ids of the ME tab (the graph and caption ids are in ``Ids``)."""

    Z = "me-z"
    X = "me-x"
    Y = "me-y"
    BOXES = "me-boxes"
    MESSAGE = "me-message"
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
                    _field("colour, counts", _input(MeIds.Z, "auto", "96px")),
                    _field("M/Q window, amu/e", _input(MeIds.X, "0.65,74", "96px")),
                    _field("M window, amu", _input(MeIds.Y, "0.69,113", "96px")),
                    _field("timeline boxes", _input(MeIds.BOXES, "all", "150px")),
                ],
                className="awa-options",
            ),
            html.Div(
                "Empty fields: whole grid, automatic colours, all boxes. Boxes: e.g. 55 (H+), "
                "90 (He++), 291 (O+), 252-256 (background); click a box to add or remove it.",
                className="awa-hint",
            ),
            html.Div(id=MeIds.MESSAGE, className="awa-message", role="alert"),
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


def picture_outputs(
    settings: Settings, search: str | None, z: str | None, x: str | None, y: str | None
) -> tuple[Any, ...]:
    """ME figure, caption, CSV link and option messages; nothing while another tab shows."""
    state = views.state_of(search)
    if state.view.tab != "me":
        return (dash.no_update,) * 4
    options, errors = parse_me_options(z, x, y, None)
    view = views.me_view(settings, state, options)
    return view.figure, view.caption, view.download, "; ".join(errors)


def timeline_outputs(settings: Settings, search: str | None, boxes: str | None) -> tuple[Any, ...]:
    """ME timeline figure, caption and CSV link; nothing while another tab shows."""
    state = views.state_of(search)
    if state.view.tab != "me":
        return (dash.no_update,) * 3
    options, errors = parse_me_options(None, None, None, boxes)
    view = views.me_timeline_view(settings, state, options)
    note = "".join(f"{e} (all boxes shown). " for e in errors)
    return view.figure, note + view.caption, view.download


def toggle_box(click: dict[str, Any] | None, boxes_text: str | None) -> Any:
    """The timeline's box list after a click on the ME picture (add or remove that box)."""
    try:
        point = (click or {})["points"][0]
        box = int(point["customdata"][0])
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
    """Wire the tab's options and the page URL to its figures."""

    @app.callback(
        Output(Ids.ME_GRAPH, "figure"),
        Output(Ids.ME_CAPTION, "children"),
        Output(MeIds.DOWNLOAD, "href"),
        Output(MeIds.MESSAGE, "children"),
        Input(Ids.URL, "search"),
        Input(MeIds.Z, "value"),
        Input(MeIds.X, "value"),
        Input(MeIds.Y, "value"),
    )
    def _picture(search: str | None, z: str | None, x: str | None, y: str | None) -> Any:
        return picture_outputs(settings, search, z, x, y)

    @app.callback(
        Output(MeIds.TL_GRAPH, "figure"),
        Output(MeIds.TL_CAPTION, "children"),
        Output(MeIds.TL_DOWNLOAD, "href"),
        Input(Ids.URL, "search"),
        Input(MeIds.BOXES, "value"),
    )
    def _timeline(search: str | None, boxes: str | None) -> Any:
        return timeline_outputs(settings, search, boxes)

    @app.callback(
        Output(MeIds.BOXES, "value"),
        Input(Ids.ME_GRAPH, "clickData"),
        State(MeIds.BOXES, "value"),
        prevent_initial_call=True,
    )
    def _click(click: dict[str, Any] | None, boxes: str | None) -> Any:
        return toggle_box(click, boxes)
