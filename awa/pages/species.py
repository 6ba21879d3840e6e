"""The species page (``/species``): species timelines and the editable species regions.

The page's state is its URL (:mod:`awa.model.species_url`): the browser's selection, the
species regions (``sp``), cadence, quantity, shown species, ratio panels and the ME panel.
Controls and plot gestures write the URL; the URL draws the page:

- the M-M/Q view of the selection with the regions outlined; dragging or resizing an
  outline edits that region (the figure's ``relayoutData``) and so the URL;
- the timeline: species per cycle or hour, ratio panels, the on-board ME species, Kp and
  Dst on one time axis; zooming re-aggregates (the zoomed span becomes the time range,
  per cycle when it is 2 days or less);
- CSV download of the series shown.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from awa import query
from awa.figures.common import message_figure
from awa.figures.mmq import mmq_figure
from awa.figures.species import draw_regions, species_caption, species_csv, species_timeline_figure
from awa.model import FilterError, TimeRange, ViewOptions, format_time_ranges, parse_time_ranges
from awa.model.regions import format_regions, parse_regions, regions_from_boxes
from awa.model.species_url import (
    SpeciesState,
    parse_ratios,
    parse_species_query,
    species_query,
)
from awa.pages.shell import header
from awa.pages.widgets import GRAPH_CONFIG, field, graph
from awa.query.species import me_species, species_counts
from awa.settings import Settings

#: The M-M/Q view's config: region outlines are dragged and resized in place.
MMQ_CONFIG: dict[str, Any] = {**GRAPH_CONFIG, "edits": {"shapePosition": True}}
#: Longest span drawn per cycle (about 3,400 bins); longer spans are drawn per hour.
MAX_CYCLE_SPAN = timedelta(days=7)
#: Zoomed spans up to this long are drawn per cycle.
CYCLE_SPAN = timedelta(days=2)
_SHAPE = re.compile(r"^shapes\[(\d+)\]\.([xy][01])$")


class SpIds(StrEnum):
    """Component ids of the species page."""

    URL = "sp-url"
    TIME = "sp-time"
    CADENCE = "sp-cadence"
    QUANTITY = "sp-quantity"
    RATIOS = "sp-ratios"
    REGIONS = "sp-regions"
    ME = "sp-me"
    MMQ = "sp-mmq"
    TIMELINE = "sp-timeline"
    CAPTION = "sp-caption"
    ERRORS = "sp-errors"
    CSV = "sp-csv"
    CSV_FILE = "sp-csv-file"
    OFFSET = "sp-shape-offset"
    URL_SYNC = "sp-url-sync"


def resolve(settings: Settings, state: SpeciesState) -> SpeciesState:
    """The state with the store's first day as its time range when the URL names none."""
    if state.selection.times:
        return state
    first = query.default_time_range(settings.data_dir)
    return state if first is None else replace(state, selection=replace(
        state.selection, times=(first,)))  # fmt: skip


def mmq_view(settings: Settings, state: SpeciesState) -> tuple[go.Figure, int]:
    """M-M/Q histogram of the selection with editable region outlines, and the index of the
    first outline among the figure's shapes."""
    view = ViewOptions()
    try:
        key = query.store_key(settings.data_dir)
        hist = query.mmq_histogram(key, state.selection, view.mmq_binx, view.mmq_biny,
                                   view.mmq_x, view.mmq_y, max_rows=settings.max_rows)  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return message_figure(str(exc), "Species regions"), 0
    fig = mmq_figure(hist, view, "Species regions (drag or resize an outline to edit it)")
    offset = len(fig.layout.shapes or ())
    draw_regions(fig, state.regions, editable=True)
    return fig, offset


def timeline_view(settings: Settings, state: SpeciesState) -> tuple[go.Figure, str]:
    """The species timeline figure and its caption (a message figure on failure).

    Per-cycle bins are drawn for spans up to :data:`MAX_CYCLE_SPAN`; longer spans are drawn
    per hour (the caption says so), which keeps the figure small for the browser.
    """
    cadence, note = state.cadence, ""
    span = sum((r.end - r.start for r in state.selection.times), timedelta())
    if cadence == "cycle" and span > MAX_CYCLE_SPAN:
        cadence = "hour"
        note = (f" Per-cycle bins are drawn for spans up to {MAX_CYCLE_SPAN.days} days: this "
                "span is drawn per hour (zoom in for cycles; the CSV has cycles).")  # fmt: skip
    title = f"Species per {cadence}, {format_time_ranges(state.selection.times)}"
    try:
        key = query.store_key(settings.data_dir)
        series = species_counts(key, state.selection, state.regions, cadence)
        me = me_species(key, state.selection, state.regions, cadence) if state.me else None
    except (query.StoreMissingError, query.SelectionTooLargeError, ValueError) as exc:
        return message_figure(str(exc), title), ""
    fig = species_timeline_figure(series, state.quantity, state.shown, state.ratios, title, me)
    return fig, species_caption(series, state.regions, state.quantity) + note


def edited_regions(state: SpeciesState, relayout: dict[str, Any] | None, offset: int) -> Any:
    """Regions after a drag of outlines (``relayoutData``), or None when none moved."""
    boxes: dict[int, dict[str, float]] = {}
    for k, v in (relayout or {}).items():
        m = _SHAPE.match(k)
        if m:
            boxes.setdefault(int(m.group(1)) - offset, {})[m.group(2)] = float(v)
    if not boxes:
        return None
    full = {}
    for i, b in boxes.items():
        if not 0 <= i < len(state.regions):
            continue
        r = state.regions[i]
        full[i] = (b.get("x0", r.mpq_min), b.get("x1", r.mpq_max),
                   b.get("y0", r.mass_min), b.get("y1", r.mass_max))  # fmt: skip
    return regions_from_boxes(state.regions, full) if full else None


def zoomed(state: SpeciesState, relayout: dict[str, Any] | None) -> SpeciesState | None:
    """The state re-aggregated to a zoomed time axis (None: no zoom in ``relayout``)."""
    r = relayout or {}
    lo, hi = r.get("xaxis.range[0]"), r.get("xaxis.range[1]")
    if lo is None or hi is None:
        return None
    start = datetime.fromisoformat(str(lo)[:19]).replace(second=0, microsecond=0)
    end = datetime.fromisoformat(str(hi)[:19]).replace(second=0, microsecond=0) + timedelta(
        minutes=1)  # fmt: skip
    if end <= start:
        return None
    cadence = "cycle" if end - start <= CYCLE_SPAN else state.cadence
    sel = replace(state.selection, times=(TimeRange(start, end),))
    return replace(state, selection=sel, cadence=cadence)


def _input(cid: str, placeholder: str, value: str, width: str = "320px") -> dcc.Input:
    """A text input (applied on Enter or blur) holding ``value``."""
    return dcc.Input(id=cid, type="text", debounce=True, placeholder=placeholder, value=value,
                     className="awa-input", style={"width": width})  # fmt: skip


def controls(state: SpeciesState) -> html.Div:
    """Time, cadence, quantity, ratio panels, ME switch and the regions text."""
    times = format_time_ranges(state.selection.times) if state.selection.times else ""
    time_input = _input(SpIds.TIME, "1986-02-09 or 1986-040-0000:1986-041-1200", times)
    ratios = _input(SpIds.RATIOS, "O+/H+,He+/He++",
                    ",".join(f"{a}/{b}" for a, b in state.ratios), "160px")  # fmt: skip
    regions = _input(SpIds.REGIONS, "default", format_regions(state.regions), "420px")
    return html.Div(
        [
            field("time (UTC)", time_input),
            field(
                "bins",
                dcc.RadioItems(
                    id=SpIds.CADENCE,
                    value=state.cadence,
                    inline=True,
                    className="awa-radio",
                    options=[
                        {"label": " cycle (3 min)", "value": "cycle"},
                        {"label": " hour", "value": "hour"},
                    ],
                ),
            ),
            field(
                "show",
                dcc.RadioItems(
                    id=SpIds.QUANTITY,
                    value=state.quantity,
                    inline=True,
                    className="awa-radio",
                    options=[
                        {"label": " counts", "value": "counts"},
                        {"label": " rates (BR/R weighted, 1/s)", "value": "rates"},
                    ],
                ),
            ),
            field("ratio panels", ratios, "A/B of species names, comma separated"),
            field(
                "on-board",
                dcc.Checklist(
                    id=SpIds.ME,
                    value=["me"] if state.me else [],
                    className="awa-checks",
                    options=[{"label": " ME species panel", "value": "me"}],
                ),
            ),
            field(
                "species regions",
                regions,
                "NAME:mpq_low,mpq_high,mass_low,mass_high; ... (empty: default table)",
            ),
        ],  # fmt: skip
        className="awa-options",
    )


def layout(settings: Settings, search: str | None = None, prefix: str = "/") -> html.Div:
    """The species page for the URL query ``search``."""
    state, errors = parse_species_query(search)
    state = resolve(settings, state)
    return html.Div(
        [
            header("species", prefix),
            dcc.Location(id=SpIds.URL, refresh=False),
            dcc.Store(id=SpIds.URL_SYNC),
            dcc.Store(id=SpIds.OFFSET, data=0),
            html.Div(
                [
                    html.H2("Species timelines"),
                    controls(state),
                    html.Div(
                        "; ".join(errors), id=SpIds.ERRORS, className="awa-message", role="alert"
                    ),  # fmt: skip
                    dcc.Loading(
                        dcc.Graph(
                            id=SpIds.MMQ, config=cast(Any, MMQ_CONFIG), style={"height": "520px"}
                        ),
                        type="default",
                        delay_show=300,
                    ),  # fmt: skip
                    graph(SpIds.TIMELINE, "auto"),
                    html.Div(id=SpIds.CAPTION, className="awa-caption"),
                    html.Button("Download CSV", id=SpIds.CSV, className="awa-button"),
                    dcc.Download(id=SpIds.CSV_FILE),
                ],
                className="awa-card awa-page-body",
            ),
        ],
        className="awa-page",
    )


def state_from_controls(
    search: str | None,
    time: str | None,
    cadence: str | None,
    quantity: str | None,
    ratios: str | None,
    regions: str | None,
    me: list[str] | None,
) -> SpeciesState:
    """The URL's state with the controls' values (FilterError on a bad value)."""
    state, _ = parse_species_query(search)
    sel = state.selection
    if time and time.strip():
        sel = replace(sel, times=parse_time_ranges(time))
    regs = parse_regions(regions)
    return replace(
        state, selection=sel, regions=regs, ratios=parse_ratios(ratios or "", regs),
        cadence=cadence if cadence in ("cycle", "hour") else state.cadence,
        quantity=quantity if quantity in ("counts", "rates") else state.quantity,
        me=bool(me),
    )  # fmt: skip


#: Clientside: put the Location's search in the address bar when they differ.
_FOLLOW_SEARCH = """
function (search) {
    if (typeof search === "string" && window.location.search !== search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
    }
    return search;
}
"""


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Controls and gestures -> URL; URL -> M-M/Q view, timeline, caption; CSV download."""

    @app.callback(
        Output(SpIds.URL, "search"),
        Output(SpIds.ERRORS, "children"),
        Output(SpIds.REGIONS, "value"),
        Output(SpIds.TIME, "value"),
        Output(SpIds.CADENCE, "value"),
        Input(SpIds.TIME, "value"),
        Input(SpIds.CADENCE, "value"),
        Input(SpIds.QUANTITY, "value"),
        Input(SpIds.RATIOS, "value"),
        Input(SpIds.REGIONS, "value"),
        Input(SpIds.ME, "value"),
        Input(SpIds.MMQ, "relayoutData"),
        Input(SpIds.TIMELINE, "relayoutData"),
        State(SpIds.URL, "search"),
        State(SpIds.OFFSET, "data"),
        prevent_initial_call=True,
    )
    def _write(time: Any, cadence: Any, quantity: Any, ratios: Any, regions: Any, me: Any,
               mmq_relayout: Any, tl_relayout: Any, search: Any, offset: Any) -> Any:  # fmt: skip
        nothing = dash.no_update
        try:
            state = state_from_controls(search, time, cadence, quantity, ratios, regions, me)
            trigger = dash.ctx.triggered_id
            if trigger == SpIds.MMQ:
                moved = edited_regions(state, mmq_relayout, int(offset or 0))
                if moved is None:
                    return (nothing,) * 5
                state = replace(state, regions=moved)
            elif trigger == SpIds.TIMELINE:
                zoom = zoomed(state, tl_relayout)
                if zoom is None:
                    return (nothing,) * 5
                state = zoom
            new = species_query(state)
        except FilterError as exc:
            return nothing, str(exc), nothing, nothing, nothing
        return (new, "", format_regions(state.regions),
                format_time_ranges(state.selection.times), state.cadence)  # fmt: skip

    # The page's state is its Location's search; after a drag or a zoom of a figure the
    # browser's address bar was sometimes left behind, so a copied link showed another view.
    # Whatever updates the search, the address bar follows it here.
    app.clientside_callback(
        _FOLLOW_SEARCH, Output(SpIds.URL_SYNC, "data"), Input(SpIds.URL, "search")
    )

    @app.callback(
        Output(SpIds.MMQ, "figure"),
        Output(SpIds.OFFSET, "data"),
        Output(SpIds.TIMELINE, "figure"),
        Output(SpIds.CAPTION, "children"),
        Input(SpIds.URL, "search"),
    )
    def _draw(search: str | None) -> Any:
        state = resolve(settings, parse_species_query(search)[0])
        mmq, offset = mmq_view(settings, state)
        fig, text = timeline_view(settings, state)
        return mmq, offset, fig, text

    @app.callback(
        Output(SpIds.CSV_FILE, "data"),
        Input(SpIds.CSV, "n_clicks"),
        State(SpIds.URL, "search"),
        prevent_initial_call=True,
    )
    def _csv(_n: Any, search: str | None) -> Any:
        state = resolve(settings, parse_species_query(search)[0])
        try:
            series = species_counts(query.store_key(settings.data_dir), state.selection,
                                    state.regions, state.cadence)  # fmt: skip
        except (query.StoreMissingError, query.SelectionTooLargeError, ValueError):
            return dash.no_update
        return {"content": species_csv(series), "filename": f"awa_species_{state.cadence}.csv"}
