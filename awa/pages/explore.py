"""The AWA page: filter sidebar, E-T and M-M/Q views, timelines, uploaded histograms.

Layout functions build components; callbacks only wire components to ``awa.pages.controls``
(URL <-> controls) and ``awa.views`` (state -> figure).  The URL query string is the single
source of truth: controls write it, figures read it, so copying the URL shares the view and
the browser's back/forward buttons move through earlier views.

Selections longer than ``Settings.background_days`` draw their E-T and M-M/Q histograms in a
background callback (:mod:`awa.background`) with a progress bar and a cancel button; shorter
ones stay ordinary callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, cast

import dash
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from awa import background, views
from awa.filters import (
    DPU_MODES,
    PAPS_OPTIONS,
    PHA_PRIORITIES,
    TAC_SLOPES,
    TIMELINE_PANELS,
    TimeRange,
    parse_time_ranges,
)
from awa.pages import me as me_page
from awa.pages.controls import (
    CONTROLS,
    Ids,
    parse_selected_range,
    parse_zoom,
    picker_range,
    sync,
)
from awa.pages.router import nav_links
from awa.settings import Settings

#: Config of the figures before their first callback (the callbacks send the URL's format).
GRAPH_CONFIG: dict[str, Any] = views.graph_config(views.BASE_GRAPH_CONFIG, "png")


TAB_STYLE: dict[str, Any] = {
    "style": {"padding": "6px 12px", "lineHeight": "20px"},
    "selected_style": {"padding": "6px 12px", "lineHeight": "20px", "fontWeight": "bold"},
}


def _field(label: str, component: Any, hint: str = "") -> html.Div:
    return html.Div(
        [html.Label(label, className="awa-label"), component]
        + ([html.Div(hint, className="awa-hint")] if hint else []),
        className="awa-field",
    )


def _text(cid: Ids, placeholder: str = "", width: str = "100%") -> dcc.Input:
    return dcc.Input(
        id=cid, type="text", debounce=True, placeholder=placeholder,
        className="awa-input", style={"width": width},
    )  # fmt: skip


def _checks(cid: Ids, options: dict[Any, str], inline: bool = True) -> dcc.Checklist:
    return dcc.Checklist(
        id=cid,
        options=[{"label": f" {v}", "value": k} for k, v in options.items()],
        inline=inline,
        className="awa-checks",
    )


def sidebar() -> html.Div:
    """The filter controls (the selection of events)."""
    return html.Div(
        [
            html.H3("Time"),
            _field(
                "Time ranges (UTC)",
                dcc.Input(
                    id=Ids.TIME,
                    type="text",
                    debounce=True,
                    className="awa-input awa-time",
                    placeholder="1986-040-0000:1986-041-1200",
                ),
                "e.g. 1986-040-0000:1986-041-1200 or 1986-02-09T00:00/1986-02-10T12:00; "
                "';' between ranges. Enter or click away applies.",
            ),
            html.Div(
                [
                    dcc.DatePickerRange(
                        id=Ids.PICKER,
                        display_format="YYYY-MM-DD",
                        start_date_placeholder_text="from",
                        end_date_placeholder_text="to",
                        min_date_allowed="1984-08-01",
                        max_date_allowed="1990-01-01",
                        initial_visible_month="1986-02-01",
                        clearable=True,
                    ),  # fmt: skip
                ],
                className="awa-field",
            ),
            html.Div(
                [
                    html.Label("Storms: hours with Dst <=", className="awa-label"),
                    _text(Ids.STORM_DST, "-100", "64px"),
                    html.Span("nT", className="awa-label"),
                ],
                className="awa-row",
            ),
            dcc.Dropdown(
                id=Ids.STORMS,
                placeholder="pick a storm (sets the time range)",
                className="awa-storms",
                optionHeight=40,
            ),
            html.H3("Where and when"),
            html.Div(
                [
                    _field("L, Re", _text(Ids.L, "2,10")),
                    _field("E/Q step", _text(Ids.VSTEP, "all")),
                    _field("MLT HHMM", _text(Ids.MLT, "all")),
                ],
                className="awa-grid3",
            ),
            html.Div(
                [_field("Dst, nT", _text(Ids.DST, "all")), _field("Kp", _text(Ids.KP, "all"))],
                className="awa-grid2",
            ),
            html.H3("Instrument"),
            _field("SSD id", _checks(Ids.SSD, {i: str(i) for i in range(6)})),
            _field("PHA range", _checks(Ids.RANGES, {i: str(i) for i in range(4)})),
            _field(
                "PAPS level",
                _checks(Ids.PAPS, {k: str(k) for k in PAPS_OPTIONS}),
                "kV by level: 1 14.0, 2 15.3, 3 17.0, 4 18.8, 5 21.9, 6 24.1",
            ),
            _field("DPU mode", _checks(Ids.DPU, {k: str(k) for k in DPU_MODES})),
            _field("TAC slope", _checks(Ids.TAC, dict(TAC_SLOPES))),
            _field("PHA priority", _checks(Ids.PRIO, {k: v[0] for k, v in PHA_PRIORITIES.items()})),
            _checks(
                Ids.FLAGS,
                {
                    "tri": "triples only",
                    "r1019": "reject TOF=1019",
                    "r3": "reject Range 3",
                    "rssd": "reject SSDID>=4",
                },
                inline=False,
            ),  # fmt: skip
            html.H3("Rates"),
            _checks(
                Ids.RATE_FLAGS,
                {"brdcr": "BR0+BR1+BR2 <= DCR", "br2tcr": "BR2 <= TCR", "rnbrn": "Rn <= BRn"},
                inline=False,
            ),
            html.Div(
                [
                    _field("max BR0", _text(Ids.BR0MAX, "none")),
                    _field("max BR1", _text(Ids.BR1MAX, "none")),
                    _field("max BR2", _text(Ids.BR2MAX, "none")),
                ],
                className="awa-grid3",
            ),
            _field(
                "Drop sweeps",
                _text(Ids.SWEEP, "DCR,5000,12"),
                "RATE,LIMIT,STEP: drop voltage sweeps whose FSR/DCR/TCR/SSD exceeds "
                "LIMIT counts/spin at that step",
            ),
            html.H3("Figures"),
            _field(
                "Image download format",
                dcc.RadioItems(id=Ids.IMG, options=["png", "svg"], inline=True),
            ),
        ],
        className="awa-sidebar",
    )


class JobIds(StrEnum):
    """Component ids of the progress panel of long requests (background callbacks)."""

    JOB = "long-job"
    PANEL = "long-progress"
    BAR = "long-progress-bar"
    TEXT = "long-progress-text"
    CANCEL = "long-cancel"


def progress_panel() -> html.Div:
    """Progress bar and cancel button of a long request (shown while one runs)."""
    return html.Div(
        [
            dcc.Store(id=JobIds.JOB),
            html.Progress(id=JobIds.BAR, value="0", max="1", className="awa-progress-bar"),
            html.Span(id=JobIds.TEXT, className="awa-progress-text"),
            html.Button("Cancel", id=JobIds.CANCEL, n_clicks=0, className="awa-cancel"),
        ],
        id=JobIds.PANEL,
        className="awa-progress",
        style={"display": "none"},
    )


def _graph(cid: Ids, height: str) -> dcc.Loading:
    return dcc.Loading(
        dcc.Graph(id=cid, config=cast(Any, GRAPH_CONFIG), style={"height": height}),
        type="default", delay_show=300,
    )  # fmt: skip


def _radio(cid: Ids, options: list[Any]) -> dcc.RadioItems:
    return dcc.RadioItems(id=cid, options=options, inline=True, className="awa-radio")


def et_card() -> html.Div:
    """E-T view: graph, its options, caption and downloads."""
    return html.Div(
        [
            html.Div(
                [
                    _field("bin, ch", _text(Ids.ET_BIN, "8", "48px")),
                    _field("TOF range, ch", _text(Ids.ET_X, "0,1023", "84px")),
                    _field("Energy range, ch", _text(Ids.ET_Y, "0,1023", "84px")),
                    _field("colour, counts", _text(Ids.Z_RANGE, "auto", "84px")),
                    _field(
                        "units",
                        _radio(
                            Ids.ET_UNITS,
                            [
                                {"label": "ch", "value": "channel"},
                                {"label": "ns, keV", "value": "physical"},
                            ],
                        ),
                    ),
                    _field("show", _radio(Ids.ET_MODE, ["heatmap", "scatter"])),
                    _field("colour by", _radio(Ids.COLOR, ["Range", "SSDID", "Sector"])),
                ],
                className="awa-options",
            ),  # fmt: skip
            _graph(Ids.ET_GRAPH, "440px"),
            html.Div(id=Ids.ET_CAPTION, className="awa-caption"),
            html.Div(
                [
                    html.A("E-T histogram CSV", id=Ids.ET_DOWNLOAD, href="", download=""),
                    html.A("selected events CSV", id=Ids.ET_EVENTS, href="", download=""),
                ],
                className="awa-downloads",
            ),
        ],
        className="awa-card",
    )


def mmq_card() -> html.Div:
    """M-M/Q view: graph, its options, caption and download."""
    return html.Div(
        [
            html.Div(
                [
                    _field("M/Q bin, log10", _text(Ids.MMQ_BINX, "0.02", "52px")),
                    _field("M bin, log10", _text(Ids.MMQ_BINY, "0.02", "52px")),
                    _field("M/Q range, amu/e", _text(Ids.MMQ_X, "0.5,60", "76px")),
                    _field("M range, amu", _text(Ids.MMQ_Y, "0.5,60", "76px")),
                    _field("show", _radio(Ids.MMQ_MODE, ["heatmap", "scatter"])),
                    _field(
                        "",
                        _checks(Ids.MMQ_FLAGS, {"norm": "weight BRn/Rn", "refs": "species marks"}),
                    ),
                ],
                className="awa-options",
            ),  # fmt: skip
            _graph(Ids.MMQ_GRAPH, "440px"),
            html.Div(id=Ids.MMQ_CAPTION, className="awa-caption"),
            html.Div(
                [html.A("M-M/Q histogram CSV", id=Ids.MMQ_DOWNLOAD, href="", download="")],
                className="awa-downloads",
            ),
        ],
        className="awa-card",
    )


def timeline_card() -> html.Div:
    """Stacked timelines with a shared time axis."""
    return html.Div(
        [
            html.Div(
                [
                    _field(
                        "panels",
                        dcc.Dropdown(
                            id=Ids.TL_PANELS,
                            options=list(TIMELINE_PANELS),
                            multi=True,
                            className="awa-panels",
                        ),
                    ),
                    _field("", _checks(Ids.TL_FLAGS, {"log": "log rate axes"})),
                ],
                className="awa-options",
            ),  # fmt: skip
            html.Div(
                "Drag across a timeline to select a span: it becomes the time range of the "
                "E-T and M-M/Q views. Scroll or use the toolbar to zoom; all panels follow.",
                className="awa-hint",
            ),
            _graph(Ids.TL_GRAPH, "auto"),
            html.Div(id=Ids.TL_CAPTION, className="awa-caption"),
            html.Div(
                [html.A("timeline CSV", id=Ids.TL_DOWNLOAD, href="", download="")],
                className="awa-downloads",
            ),
        ],
        className="awa-card awa-wide",
    )


#: Largest histogram CSV accepted by the upload box (bytes); the browser refuses larger files.
UPLOAD_MAX_BYTES = 20_000_000


def upload_tab() -> html.Div:
    """Upload one or several histogram CSVs (this app's format) to sum and plot them."""
    return html.Div(
        [
            dcc.Upload(
                id=Ids.UPLOAD,
                children=html.Div(["Drop histogram CSV files here or ", html.A("choose files")]),
                multiple=True,
                max_size=UPLOAD_MAX_BYTES,
                className="awa-upload",
            ),
            _graph(Ids.UPLOAD_GRAPH, "560px"),
            html.Div(id=Ids.UPLOAD_CAPTION, className="awa-caption"),
        ],
        className="awa-card awa-wide",
    )


def layout(settings: Settings) -> html.Div:
    """The whole page."""
    return html.Div(
        [
            dcc.Location(id=Ids.URL, refresh=False),
            html.Div(
                [
                    html.Div(
                        [
                            html.Span("AWA", className="awa-logo"),
                            html.Span(
                                "AMPTE/CCE CHEM ion composition, 1984-1989",
                                className="awa-subtitle",
                            ),
                        ],
                    ),  # fmt: skip
                    nav_links("explore"),
                    html.Div(id=Ids.STATUS, className="awa-status"),
                    html.Div(
                        [
                            html.Span("Share this view: copy the address bar, or "),
                            dcc.Clipboard(id=Ids.SHARE, title="copy link", className="awa-clip"),
                        ],
                        className="awa-share",
                    ),
                ],
                className="awa-header",
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
                                        children=[me_page.me_tab(cast(Any, GRAPH_CONFIG))],
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


N_SYNC_OUTPUTS = len(CONTROLS) + 2


def on_change(
    settings: Settings, trigger: str | None, search: str | None, *args: Any
) -> tuple[Any, ...]:
    """Body of the URL <-> controls callback.

    ``args`` are the control values (in ``CONTROLS`` order), then the picker's end date,
    the storm choice, the timeline selection and the picker's start date.  Returns the new
    query string, the control values and the message (``dash.no_update`` where unchanged).
    """
    values = dict(zip([c.id for c in CONTROLS], args[: len(CONTROLS)], strict=True))
    end_date, storm, selected, start_date = args[len(CONTROLS) :]
    skip = (dash.no_update,) * N_SYNC_OUTPUTS
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
    result = sync(trigger, search, values, _defaults(settings) if from_url else (), new_times)
    search_out = dash.no_update if result.search is None else result.search
    controls = [result.controls.get(c.id, dash.no_update) for c in CONTROLS]
    return (search_out, *controls, result.message)


def _config(state: views.AppState) -> dict[str, Any]:
    """Graph config for the state's image format (sent with the figure, so they agree)."""
    return views.graph_config(views.BASE_GRAPH_CONFIG, state.view.image_format)


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
    if not is_long(settings, search):
        return dash.no_update
    seq = previous.get("seq", 0) if isinstance(previous, dict) else 0
    return {"search": search or "", "seq": int(seq) + 1}


def long_outputs(
    server: Any, settings: Settings, set_progress: Callable[[Any], None], job: Any
) -> tuple[Any, ...]:
    """Body of the background callback: E-T then M-M/Q outputs, drawn day by day.

    ``set_progress`` receives (days done, days in all, text) after each day.
    """
    if not isinstance(job, dict) or "search" not in job:
        raise PreventUpdate

    def report(what: str, done: int, total: int) -> None:
        set_progress((str(done), str(total), background.progress_text(what, done, total)))

    with server.app_context(), background.progress_scope(report):
        et = et_outputs(settings, job["search"])
        mmq = mmq_outputs(settings, job["search"])
    return (*et, *mmq)


def timeline_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """Timeline figure, caption and CSV link for a query string."""
    state = views.state_of(search)
    view = views.timeline_view(settings, state)
    return view.figure, view.caption, view.download, _config(state)


def me_outputs(settings: Settings, search: str | None) -> tuple[Any, ...]:
    """Matrix-element figure and caption, computed only while its tab is shown."""
    return me_page.picture_outputs(settings, search)[:2]


def zoom_outputs(
    settings: Settings, relayout: dict[str, Any] | None, search: str | None
) -> tuple[Any, ...]:
    """Timeline figure and caption re-read for the zoomed span (no change: no update)."""
    changed, window = parse_zoom(relayout)
    if not changed:
        return dash.no_update, dash.no_update
    view = views.timeline_view(settings, views.state_of(search), window)
    return view.figure, view.caption


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Wire controls, URL and figures (the bodies are the module functions above)."""
    control_inputs = [Input(c.id, c.prop) for c in CONTROLS]
    control_outputs = [Output(c.id, c.prop) for c in CONTROLS]

    @app.callback(
        Output(Ids.URL, "search"),
        *control_outputs,
        Output(Ids.MESSAGE, "children"),
        Input(Ids.URL, "search"),
        *control_inputs,
        Input(Ids.PICKER, "end_date"),
        Input(Ids.STORMS, "value"),
        Input(Ids.TL_GRAPH, "selectedData"),
        State(Ids.PICKER, "start_date"),
    )
    def _sync(search: str | None, *args: Any) -> tuple[Any, ...]:
        trigger = ctx.triggered_id
        return on_change(settings, None if trigger is None else str(trigger), search, *args)

    et_out = [
        Output(Ids.ET_GRAPH, "figure"),
        Output(Ids.ET_CAPTION, "children"),
        Output(Ids.ET_DOWNLOAD, "href"),
        Output(Ids.ET_EVENTS, "href"),
        Output(Ids.ET_GRAPH, "config"),
    ]
    mmq_out = [
        Output(Ids.MMQ_GRAPH, "figure"),
        Output(Ids.MMQ_CAPTION, "children"),
        Output(Ids.MMQ_DOWNLOAD, "href"),
        Output(Ids.MMQ_GRAPH, "config"),
    ]

    @app.callback(*et_out, Input(Ids.URL, "search"))
    def _et(search: str | None) -> tuple[Any, ...]:
        if is_long(settings, search):
            return (dash.no_update,) * len(et_out)
        return et_outputs(settings, search)

    @app.callback(*mmq_out, Input(Ids.URL, "search"))
    def _mmq(search: str | None) -> tuple[Any, ...]:
        if is_long(settings, search):
            return (dash.no_update,) * len(mmq_out)
        return mmq_outputs(settings, search)

    @app.callback(Output(JobIds.JOB, "data"), Input(Ids.URL, "search"), State(JobIds.JOB, "data"))
    def _route(search: str | None, previous: Any) -> Any:
        return job_of(settings, search, previous)

    @app.callback(
        *[Output(o.component_id, o.component_property, allow_duplicate=True)
          for o in et_out + mmq_out],
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

    @app.callback(
        Output(Ids.TL_GRAPH, "figure"),
        Output(Ids.TL_CAPTION, "children"),
        Output(Ids.TL_DOWNLOAD, "href"),
        Output(Ids.TL_GRAPH, "config"),
        Input(Ids.URL, "search"),
    )
    def _timeline(search: str | None) -> tuple[Any, ...]:
        return timeline_outputs(settings, search)

    @app.callback(
        Output(Ids.TL_GRAPH, "figure", allow_duplicate=True),
        Output(Ids.TL_CAPTION, "children", allow_duplicate=True),
        Input(Ids.TL_GRAPH, "relayoutData"),
        State(Ids.URL, "search"),
        prevent_initial_call=True,
    )
    def _zoom(relayout: dict[str, Any] | None, search: str | None) -> tuple[Any, ...]:
        return zoom_outputs(settings, relayout, search)

    me_page.register_callbacks(app, settings)

    @app.callback(Output(Ids.STORMS, "options"), Input(Ids.STORM_DST, "value"))
    def _storms(threshold: str | None) -> list[dict[str, str]]:
        return views.storm_options(settings, threshold)

    @app.callback(Output(Ids.STATUS, "children"), Input(Ids.URL, "pathname"))
    def _status(_: str | None) -> str:
        return views.data_dir_status(settings)

    @app.callback(
        Output(Ids.UPLOAD_GRAPH, "figure"),
        Output(Ids.UPLOAD_CAPTION, "children"),
        Input(Ids.UPLOAD, "contents"),
        State(Ids.UPLOAD, "filename"),
    )
    def _upload(contents: list[str] | None, names: list[str] | None) -> tuple[Any, ...]:
        view = views.upload_view(contents or [], names or [])
        return view.figure, view.caption

    app.clientside_callback(
        "function(n) { return window.location.href; }",
        Output(Ids.SHARE, "content"),
        Input(Ids.SHARE, "n_clicks"),
        prevent_initial_call=True,
    )
