"""The Browser page: filter sidebar, E-T and M-M/Q views, timelines, uploaded histograms.

The sidebar and the cards are laid out in :mod:`awa.pages.sidebar` and :mod:`awa.pages.cards`.

Layout functions build components; callbacks only wire components to ``awa.pages.controls``
(URL <-> controls) and ``awa.views`` (state -> figure).  The URL query string is the single
source of truth: controls write it, figures read it, so copying the URL shares the view and
the browser's back/forward buttons move through earlier views.

Selections that cost more than a foreground request may (events and ranges,
:func:`awa.background.long_reason`) draw their E-T and M-M/Q histograms in a background
callback (:mod:`awa.background`) with a progress bar and a cancel button; cheaper ones stay
ordinary callbacks.  :mod:`awa.pages.progress` shows progress and stale figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from awa import background, view_store, views
from awa.figures.timeline import hold_window
from awa.model import FilterError, TimeRange, parse_time_ranges
from awa.pages import me as me_page
from awa.pages.cards import et_card, mmq_card, timeline_card, upload_tab
from awa.pages.controls import (
    CONTROLS,
    Ids,
    parse_selected_range,
    parse_zoom,
    picker_range,
    sync,
)
from awa.pages.progress import (
    JobIds,
    job_report,
    progress_panel,
    register_stale_callbacks,
    start_outputs,
)
from awa.pages.shell import header
from awa.pages.sidebar import sidebar
from awa.pages.widgets import NO_TIPS, TAB_STYLE
from awa.settings import Settings


def layout(prefix: str = "/") -> html.Div:
    """The whole page (``prefix``: the app's path prefix, for the links between pages)."""
    return html.Div(
        [
            dcc.Location(id=Ids.URL, refresh=False),
            header(
                "explore",
                prefix,
                [
                    html.Div(id=Ids.STATUS, className="awa-status"),
                    html.Div(
                        [
                            html.Span("Share this view: copy the address bar, or "),
                            dcc.Clipboard(id=Ids.SHARE, title="copy link", className="awa-clip"),
                        ],
                        className="awa-share",
                    ),
                ],
            ),
            html.Div(
                [
                    sidebar(),
                    html.Div(
                        [
                            html.Div(id=Ids.MESSAGE, className="awa-message", role="alert"),
                            dcc.Tabs(
                                id=Ids.TABS,
                                value="explore",
                                style={"height": "34px"},
                                children=[
                                    dcc.Tab(
                                        label="Explore",
                                        value="explore",
                                        **TAB_STYLE,
                                        children=[
                                            progress_panel(),
                                            html.Div([et_card(), mmq_card()], className="awa-pair"),
                                            timeline_card(),
                                        ],
                                    ),
                                    dcc.Tab(
                                        label="Matrix elements",
                                        value="me",
                                        **TAB_STYLE,
                                        children=[me_page.me_tab()],
                                    ),
                                    dcc.Tab(
                                        label="Uploaded histograms",
                                        value="upload",
                                        **TAB_STYLE,
                                        children=[upload_tab()],
                                    ),
                                ],
                            ),  # fmt: skip
                        ],
                        className="awa-main",
                    ),
                ],
                className="awa-body",
            ),
        ],
        className="awa-page",
    )


def _defaults(settings: Settings) -> tuple[TimeRange, ...]:
    state = views.resolve_state(settings, views.AppState())
    return state.selection.times


def on_change(
    settings: Settings,
    trigger: str | None,
    search: str | None,
    controls: Mapping[str, Any],
    *,
    start_date: str | None = None,
    end_date: str | None = None,
    storm: str | None = None,
    selected: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Body of the URL <-> controls callback.

    Parameters
    ----------
    trigger : str or None
        Id of the component that changed (None on page load).
    search : str or None
        The URL query string.
    controls : mapping
        Control values by control id (``CONTROLS``).
    start_date, end_date : str, optional
        The calendar picker's dates.
    storm : str, optional
        The storm chosen in the storm list (a time range).
    selected : dict, optional
        The timeline's box selection (``selectedData``).

    Returns
    -------
    dict
        ``search`` (the new query string), ``controls`` (values by control id) and
        ``message``; ``dash.no_update`` where unchanged.
    """
    skip = {
        "search": dash.no_update,
        "controls": {str(c.id): dash.no_update for c in CONTROLS},
        "message": dash.no_update,
    }
    new_times: tuple[TimeRange, ...] | None = None
    if trigger == Ids.PICKER:
        r = picker_range(start_date, end_date)
        if r is None:
            return skip
        new_times = (r,)
    elif trigger == Ids.STORMS:
        if not storm:
            return skip
        new_times = parse_time_ranges(storm)
    elif trigger == Ids.TL_GRAPH:
        r = parse_selected_range(selected)
        if r is None:
            return skip
        new_times = (r,)
    from_url = trigger in (None, "", Ids.URL)
    values = {str(c.id): controls.get(str(c.id)) for c in CONTROLS}
    bad_id = ""
    try:  # a stored view (?v=<id>): its query string
        search = view_store.expand(search)
    except FilterError as exc:
        bad_id, search = f"URL: {exc}", ""
    result = sync(trigger, search, values, _defaults(settings) if from_url else (), new_times,
                  shorten=view_store.shorten)  # fmt: skip
    return {
        "search": dash.no_update if result.search is None else result.search,
        "controls": {str(c.id): result.controls.get(c.id, dash.no_update) for c in CONTROLS},
        "message": bad_id or result.message,
    }


def _config(state: views.AppState) -> dict[str, Any]:
    """Graph config for the state's image format (sent with the figure, so they agree).

    Plotly's own "Double-click to zoom back out" notice is off: it covered the timeline's
    toolbar, and the timeline card says how to zoom out (:data:`NO_TIPS`)."""
    return {**views.graph_config(views.BASE_GRAPH_CONFIG, state.view.image_format), **NO_TIPS}


def et_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """E-T figure, caption, histogram CSV link and events CSV link for a query string."""
    state = views.state_of(search)
    view = views.et_view(settings, state)
    events = view.download.replace("download/et.csv", "download/events.csv")
    return view.figure, view.caption, view.download, events, _config(state)


def mmq_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """M-M/Q figure, caption and CSV link for a query string."""
    state = views.state_of(search)
    view = views.mmq_view(settings, state)
    return view.figure, view.caption, view.download, _config(state)


def is_long(settings: Settings, search: str | None) -> bool:
    """True when the histograms of ``search`` are drawn by the background callback."""
    state = views.resolve_state(settings, views.state_of(search))
    return background.is_long(state.selection, settings)


def job_of(settings: Settings, search: str | None, previous: Any) -> Any:
    """The long request to start for ``search`` (no update for a short one).

    A sequence number makes a repeated query string a new request."""
    return start_outputs(settings, search, previous)[0]


def long_outputs(
    server: Any, settings: Settings, set_progress: Callable[[Any], None], job: Any
) -> tuple[Any, ...]:
    """Body of the background callback: E-T then M-M/Q outputs, drawn piece by piece.

    ``set_progress`` receives (pieces done, pieces in all, text) before the first and
    after each piece (:func:`awa.pages.progress.job_report`).
    """
    if not isinstance(job, dict) or "search" not in job:
        raise PreventUpdate

    with server.app_context(), background.progress_scope(job_report(set_progress)):
        et = et_outputs(settings, job["search"])
        mmq = mmq_outputs(settings, job["search"])
    return (*et, *mmq)


def timeline_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """Timeline figure, caption, CSV link, graph config and rejected-spins CSV link."""
    state = views.state_of(search)
    view = views.timeline_view(settings, state)
    rejected = view.download.replace("download/timeline.csv", "download/rejected.csv")
    return view.figure, view.caption, view.download, timeline_config(state), rejected


def timeline_config(state: views.AppState) -> dict[str, Any]:
    """Graph config of the timelines: a double-click (with the zoom tool), like the toolbar's
    Autoscale, shows the whole time range again (an autorange, which re-reads it); plotly's
    "Reset axes" would go back to the zoomed figure's own range, so it is not offered."""
    config = _config(state)
    removed = [*config.get("modeBarButtonsToRemove", []), "resetScale2d"]
    return {**config, "doubleClick": "autosize", "modeBarButtonsToRemove": removed}


def zoom_outputs(
    settings: Settings, relayout: dict[str, Any] | None, search: str | None, reset: bool = False
) -> tuple[Any, ...]:
    """Timeline figure and caption re-read for the zoomed or panned span.

    The figure's time axes show the span on every panel (:func:`hold_window`); a reset (the
    "Reset zoom" button, the toolbar's Autoscale, a double-click with the zoom tool) draws
    the whole time range again.  A relayout that moves no time axis: no update.
    """
    changed, window = (True, None) if reset else parse_zoom(relayout)
    if not changed:
        return dash.no_update, dash.no_update
    view = views.timeline_view(settings, views.state_of(search), window)
    if window is not None and isinstance(view.figure, go.Figure) and view.figure.data:
        hold_window(view.figure, (window.start, window.end))
    return view.figure, view.caption


def storm_note(settings: Settings, threshold: str | None, options: list[Any]) -> str:
    """Why the storm list is empty, and what to do (empty text when it lists storms).

    With no hour at Dst <= 0 nT either, the stores hold no Dst: they were built without a
    Dst file (offline, or without ``--dst`` / ``AWA_DST_FILE``)."""
    if options:
        return ""
    if not views.storm_options(settings, "0"):
        return (
            "No storms: the stores hold no Dst (they were built without a Dst file, e.g. "
            "offline). Rebuild them with a Dst file (awa-build build --dst FILE, or "
            "AWA_DST_FILE for make run / awa-build demo) to list storms; time ranges and "
            "the calendar work without it."
        )
    return (
        f"No hour of the stores has Dst <= {threshold or '-100'} nT: raise the threshold "
        "(e.g. -50) to list weaker storms."
    )


def _figure_outputs(graph_id: str, caption: str, download: str) -> dict[str, Output]:
    """Outputs of a figure callback by name: figure, caption, CSV link, graph config."""
    return {
        "figure": Output(graph_id, "figure"),
        "caption": Output(caption, "children"),
        "download": Output(download, "href"),
        "config": Output(graph_id, "config"),
    }


def _named(outputs: dict[str, Any], values: tuple[Any, ...]) -> dict[str, Any]:
    """``values`` (in the order of ``outputs``) by output name."""
    return dict(zip(outputs, values, strict=True))


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Wire controls, URL and figures (the bodies are the module functions above)."""

    @app.callback(
        output={
            "search": Output(Ids.URL, "search"),
            "controls": {str(c.id): Output(c.id, c.prop) for c in CONTROLS},
            "message": Output(Ids.MESSAGE, "children"),
        },
        inputs={
            "search": Input(Ids.URL, "search"),
            "controls": {str(c.id): Input(c.id, c.prop) for c in CONTROLS},
            "end_date": Input(Ids.PICKER, "end_date"),
            "storm": Input(Ids.STORMS, "value"),
            "selected": Input(Ids.TL_GRAPH, "selectedData"),
        },
        state={"start_date": State(Ids.PICKER, "start_date")},
    )
    def _sync(search: str | None, controls: dict[str, Any], **times: Any) -> dict[str, Any]:
        trigger = None if ctx.triggered_id is None else str(ctx.triggered_id)
        return on_change(settings, trigger, search, controls, **times)

    url = {"search": Input(Ids.URL, "search")}
    et_out = {
        "figure": Output(Ids.ET_GRAPH, "figure"),
        "caption": Output(Ids.ET_CAPTION, "children"),
        "download": Output(Ids.ET_DOWNLOAD, "href"),
        "events": Output(Ids.ET_EVENTS, "href"),
        "config": Output(Ids.ET_GRAPH, "config"),
    }
    mmq_out = _figure_outputs(Ids.MMQ_GRAPH, Ids.MMQ_CAPTION, Ids.MMQ_DOWNLOAD)

    @app.callback(output=et_out, inputs=url)
    def _et(search: str | None) -> dict[str, Any]:
        if is_long(settings, search):
            return dict.fromkeys(et_out, dash.no_update)
        return _named(et_out, et_outputs(settings, search))

    @app.callback(output=mmq_out, inputs=url)
    def _mmq(search: str | None) -> dict[str, Any]:
        if is_long(settings, search):
            return dict.fromkeys(mmq_out, dash.no_update)
        return _named(mmq_out, mmq_outputs(settings, search))

    @app.callback(
        Output(JobIds.JOB, "data"),
        Output(JobIds.BAR, "value", allow_duplicate=True),
        Output(JobIds.BAR, "max", allow_duplicate=True),
        Output(JobIds.TEXT, "children", allow_duplicate=True),
        Output(JobIds.PANEL, "style", allow_duplicate=True),
        Input(Ids.URL, "search"),
        State(JobIds.JOB, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def _route(search: str | None, previous: Any) -> tuple[Any, ...]:
        return start_outputs(settings, search, previous)

    register_stale_callbacks(app)

    @app.callback(
        *[Output(o.component_id, o.component_property, allow_duplicate=True)
          for o in [*et_out.values(), *mmq_out.values()]],
        Input(JobIds.JOB, "data"),
        background=True,
        progress=[
            Output(JobIds.BAR, "value"), Output(JobIds.BAR, "max"), Output(JobIds.TEXT, "children")
        ],
        progress_default=["0", "1", ""],
        running=[(Output(JobIds.PANEL, "style"), {"display": "flex"}, {"display": "none"})],
        cancel=[Input(JobIds.CANCEL, "n_clicks"), Input(Ids.URL, "search")],
        prevent_initial_call=True,
    )  # fmt: skip
    def _long(set_progress: Callable[[Any], None], job: Any) -> tuple[Any, ...]:
        return long_outputs(app.server, settings, set_progress, job)

    tl_out = {**_figure_outputs(Ids.TL_GRAPH, Ids.TL_CAPTION, Ids.TL_DOWNLOAD),
              "rejected": Output(Ids.TL_REJECTED, "href")}  # fmt: skip

    @app.callback(output=tl_out, inputs=url)
    def _timeline(search: str | None) -> dict[str, Any]:
        return _named(tl_out, timeline_outputs(settings, search))

    zoom_out = {
        "figure": Output(Ids.TL_GRAPH, "figure", allow_duplicate=True),
        "caption": Output(Ids.TL_CAPTION, "children", allow_duplicate=True),
    }

    @app.callback(
        output=zoom_out,
        inputs={"relayout": Input(Ids.TL_GRAPH, "relayoutData"),
                "clicks": Input(Ids.TL_RESET, "n_clicks")},
        state={"search": State(Ids.URL, "search")},
        prevent_initial_call=True,
    )
    def _zoom(relayout: dict[str, Any] | None, search: str | None, clicks: int) -> dict[str, Any]:
        reset = ctx.triggered_id == Ids.TL_RESET
        return _named(zoom_out, zoom_outputs(settings, relayout, search, reset))

    me_page.register_callbacks(app, settings, Ids.URL)

    @app.callback(
        Output(Ids.STORMS, "options"), Output(Ids.STORM_NOTE, "children"),
        Input(Ids.STORM_DST, "value"),
    )  # fmt: skip
    def _storms(threshold: str | None) -> tuple[list[dict[str, str]], str]:
        options = views.storm_options(settings, threshold)
        return options, storm_note(settings, threshold, options)

    @app.callback(Output(Ids.STATUS, "children"), Input(Ids.URL, "pathname"))
    def _status(_: str | None) -> str:
        return views.data_dir_status(settings)

    @app.callback(
        output={
            "figure": Output(Ids.UPLOAD_GRAPH, "figure"),
            "caption": Output(Ids.UPLOAD_CAPTION, "children"),
        },
        inputs={"contents": Input(Ids.UPLOAD, "contents")},
        state={"names": State(Ids.UPLOAD, "filename")},
    )
    def _upload(contents: list[str] | None, names: list[str] | None) -> dict[str, Any]:
        view = views.upload_view(contents or [], names or [])
        return {"figure": view.figure, "caption": view.caption}

    app.clientside_callback(
        "function(n) { return window.location.href; }",
        Output(Ids.SHARE, "content"),
        Input(Ids.SHARE, "n_clicks"),
        prevent_initial_call=True,
    )
