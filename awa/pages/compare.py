"""The comparison page (``/compare``): selection A against selection B.

Selection A is the browser's selection (``t`` and the filters); B takes A's filters on the
times ``tb``.  The page shows both M-M/Q histograms per selected spin, their ratio B/A on a
diverging colour scale with the statistical mask (``min`` events), and a table of species
counts, shares and ratios with uncertainties (:mod:`awa.figures.compare`).  The state is the
URL (:mod:`awa.model.species_url`), so a comparison is shared by its link.
"""

from __future__ import annotations

import math
from dataclasses import replace
from enum import StrEnum
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from awa import query
from awa.figures.common import message_figure
from awa.figures.compare import compare_caption, compare_figure, comparison_rows
from awa.model import FilterError, ViewOptions, format_time_ranges, parse_time_ranges
from awa.model.regions import format_regions, parse_regions
from awa.model.species_url import SpeciesState, parse_species_query, species_query
from awa.pages.shell import header
from awa.pages.widgets import field, graph
from awa.query.species import compare_species
from awa.settings import Settings

#: The demo's quiet and storm days, compared when the URL names no times.
DEFAULT_A, DEFAULT_B = "1986-02-05", "1986-02-09"


class CmpIds(StrEnum):
    """Component ids of the comparison page."""

    URL = "cmp-url"
    TIME_A = "cmp-time-a"
    TIME_B = "cmp-time-b"
    MIN = "cmp-min"
    WEIGHTED = "cmp-weighted"
    REGIONS = "cmp-regions"
    FIGURE = "cmp-figure"
    TABLE = "cmp-table"
    CAPTION = "cmp-caption"
    ERRORS = "cmp-errors"


def resolve(state: SpeciesState) -> SpeciesState:
    """The state with the demo's quiet (A) and storm (B) days where the URL names none."""
    if not state.selection.times:
        state = replace(state, selection=replace(state.selection,
                                                 times=parse_time_ranges(DEFAULT_A)))  # fmt: skip
    if state.times_b is None:
        state = replace(state, times_b=parse_time_ranges(DEFAULT_B))
    return state


def _fmt(v: float, err: float | None = None, pct: bool = False) -> str:
    if not math.isfinite(v):
        return "-"
    scale = 100.0 if pct else 1.0
    text = f"{v * scale:.3g}"
    if err is not None and math.isfinite(err):
        text += f" ± {err * scale:.2g}"
    return text + (" %" if pct else "")


def table(rows: list[dict[str, Any]], weighted: bool) -> html.Table:
    """The species table: events, per spin, shares and ratio B/A with uncertainties.

    The headers say which columns are weighted by BR_n/R_n (``weighted``): the per-spin
    values and their ratio; the shares are always shares of the events.
    """
    per = "per spin, BR/R weighted" if weighted else "per spin"
    heads = ["species", "A events", "B events", f"A {per}", f"B {per}", "A share of events",
             "B share of events", f"B/A {per}"]  # fmt: skip
    body = [
        html.Tr(
            [
                html.Td(r["species"]),
                html.Td(f"{r['A events']:,}", className="awa-num"),
                html.Td(f"{r['B events']:,}", className="awa-num"),
                html.Td(_fmt(r["A per spin"]), className="awa-num"),
                html.Td(_fmt(r["B per spin"]), className="awa-num"),
                html.Td(_fmt(r["A share"], r["A share err"], pct=True), className="awa-num"),
                html.Td(_fmt(r["B share"], r["B share err"], pct=True), className="awa-num"),
                html.Td(_fmt(r["B/A"], r["B/A err"]), className="awa-num"),
            ],
            id=f"cmp-row-{i}",
        )  # fmt: skip
        for i, r in enumerate(rows)
    ]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(body)],
                      className="awa-table")  # fmt: skip


def compare_view(settings: Settings, state: SpeciesState) -> tuple[go.Figure, Any, str]:
    """Figure, table and caption of the comparison (a message figure on failure)."""
    state = resolve(state)
    sel_b = state.selection_b
    assert sel_b is not None
    labels = (format_time_ranges(state.selection.times), format_time_ranges(sel_b.times))
    title = f"B ({labels[1]}) against A ({labels[0]})"
    view = ViewOptions()
    grid = (view.mmq_binx, view.mmq_biny, view.mmq_x, view.mmq_y)
    try:
        cmp = compare_species(query.store_key(settings.data_dir), state.selection, sel_b,
                              state.regions, grid, state.weighted)  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, ValueError) as exc:
        return message_figure(str(exc), title), "", ""
    fig = compare_figure(cmp, state.regions, state.min_counts, labels, title)
    return fig, table(comparison_rows(cmp), cmp.weighted), compare_caption(cmp, state.min_counts)


def _input(cid: str, value: str, placeholder: str = "") -> dcc.Input:
    return dcc.Input(id=cid, type="text", debounce=True, value=value, placeholder=placeholder,
                     className="awa-input", style={"width": "300px"})  # fmt: skip


def layout(settings: Settings, search: str | None = None, prefix: str = "/") -> html.Div:
    """The comparison page for the URL query ``search``."""
    state, errors = parse_species_query(search)
    state = resolve(state)
    assert state.times_b is not None
    return html.Div(
        [
            header("compare", prefix),
            dcc.Location(id=CmpIds.URL, refresh=False),
            html.Div(
                [
                    html.H2("Compare two selections"),
                    html.Div(
                        [
                            field(
                                "A: time (UTC)",
                                _input(CmpIds.TIME_A, format_time_ranges(state.selection.times)),
                            ),
                            field(
                                "B: time (UTC)",
                                _input(CmpIds.TIME_B, format_time_ranges(state.times_b)),
                                "B takes A's filters (set them in the Browser)",
                            ),
                            field(
                                "fewest events per ratio bin",
                                _input(CmpIds.MIN, str(state.min_counts)),
                            ),
                            field(
                                "weighting",
                                dcc.Checklist(
                                    id=CmpIds.WEIGHTED,
                                    className="awa-checks",
                                    value=["w"] if state.weighted else [],
                                    options=[{"label": " BR/R weighted", "value": "w"}],
                                ),
                            ),
                            field(
                                "species regions",
                                _input(CmpIds.REGIONS, format_regions(state.regions), "default"),
                            ),
                        ],  # fmt: skip
                        className="awa-options",
                    ),
                    html.Div(
                        "; ".join(errors), id=CmpIds.ERRORS, className="awa-message", role="alert"
                    ),  # fmt: skip
                    graph(CmpIds.FIGURE, "540px"),
                    html.Div(id=CmpIds.TABLE, className="awa-table-wrap"),
                    html.Div(id=CmpIds.CAPTION, className="awa-caption"),
                ],
                className="awa-card awa-page-body",
            ),
        ],
        className="awa-page",
    )


def register_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Controls -> URL; URL -> figure, table and caption."""

    @app.callback(
        Output(CmpIds.URL, "search"),
        Output(CmpIds.ERRORS, "children"),
        Input(CmpIds.TIME_A, "value"),
        Input(CmpIds.TIME_B, "value"),
        Input(CmpIds.MIN, "value"),
        Input(CmpIds.WEIGHTED, "value"),
        Input(CmpIds.REGIONS, "value"),
        State(CmpIds.URL, "search"),
        prevent_initial_call=True,
    )
    def _write(a: Any, b: Any, least: Any, weighted: Any, regions: Any, search: Any) -> Any:
        try:
            state = resolve(parse_species_query(search)[0])
            least_text = str(least or "").strip() or "10"
            parsed = parse_species_query(f"?min={least_text}")
            if parsed[1]:
                raise FilterError("min", parsed[1][0])
            state = replace(
                state,
                selection=replace(state.selection, times=parse_time_ranges(a or DEFAULT_A)),
                times_b=parse_time_ranges(b or DEFAULT_B),
                min_counts=parsed[0].min_counts,
                weighted=bool(weighted),
                regions=parse_regions(regions),
            )
            return species_query(state), ""
        except FilterError as exc:
            return dash.no_update, str(exc)

    @app.callback(
        Output(CmpIds.FIGURE, "figure"),
        Output(CmpIds.TABLE, "children"),
        Output(CmpIds.CAPTION, "children"),
        Input(CmpIds.URL, "search"),
    )
    def _draw(search: str | None) -> Any:
        return compare_view(settings, parse_species_query(search)[0])
