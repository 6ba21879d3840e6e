"""Progress of long requests and stale figures on the Browser page.

- The progress panel (bar, text, cancel button) of the background callback.  When a long
  request is routed (:func:`start_outputs`), the panel shows at once what will be done
  ("Starting: 0 of 500 ranges ..."), before the job process has started; the job then
  reports each piece (:func:`job_report`).
- While a figure of the page is recomputed (foreground or background), its graph is dimmed
  with a spinner (``assets/awa-jobs.css``, on Dash's ``data-dash-is-loading``) and its
  caption says ``Updating for <selection>``; after a cancel the caption says which selection
  the figure still shows.  Both are client-side (no server round trip).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from awa import background, query, views
from awa.pages.controls import Ids
from awa.settings import Settings

__all__ = [
    "JobIds",
    "job_report",
    "progress_panel",
    "register_stale_callbacks",
    "start_outputs",
]


class JobIds(StrEnum):
    """Component ids of the progress panel of long requests (background callbacks)."""

    JOB = "long-job"
    PANEL = "long-progress"
    BAR = "long-progress-bar"
    TEXT = "long-progress-text"
    CANCEL = "long-cancel"
    SHOWN = "shown-captions"


def progress_panel() -> html.Div:
    """Progress bar and cancel button of a long request (shown while one runs)."""
    return html.Div(
        [
            dcc.Store(id=JobIds.JOB),
            dcc.Store(id=JobIds.SHOWN),
            html.Progress(id=JobIds.BAR, value="0", max="1", className="awa-progress-bar"),
            html.Span(id=JobIds.TEXT, className="awa-progress-text"),
            html.Button("Cancel", id=JobIds.CANCEL, n_clicks=0, className="awa-cancel"),
        ],
        id=JobIds.PANEL,
        className="awa-progress",
        style={"display": "none"},
    )


def start_outputs(settings: Settings, search: str | None, previous: Any) -> tuple[Any, ...]:
    """The job to start for ``search`` and the panel's first state, or no update when short.

    Returns (job, bar value, bar max, text, panel style).  A sequence number makes a
    repeated query string a new request; the text says what will be done before any
    event is read (the cost comes from the hour index).
    """
    state = views.resolve_state(settings, views.state_of(search))
    sel = state.selection
    reason = background.long_reason(sel, settings)
    if reason is None:
        return (dash.no_update,) * 5
    seq = previous.get("seq", 0) if isinstance(previous, dict) else 0
    job = {"search": search or "", "seq": int(seq) + 1}
    pieces = len(query.day_pieces(sel.times))
    step = query.Step(0, len(sel.times), 0, pieces, 0)
    text = f"Starting ({reason}): {background.progress_text('E-T', step)}"
    return job, "0", str(max(pieces, 1)), text, {"display": "flex"}


def job_report(set_progress: Callable[[Any], None]) -> background.ProgressReport:
    """The report of a background job: bar (pieces done of all) and text, after each piece."""

    def report(what: str, step: query.Step) -> None:
        text = background.progress_text(what, step)
        set_progress((str(step.pieces_done), str(max(step.pieces_total, 1)), text))

    return report


# Captions while figures are recomputed: remember the captions shown, say what is coming;
# on cancel, say what is still shown.  ``dash_clientside.no_update`` keeps a value.
_UPDATING_JS = """
function(search, et, mmq, shown) {
    var nu = window.dash_clientside.no_update;
    var params = new URLSearchParams(search || "");
    var t = (params.get("t") || "").trim();
    var parts = t.split(/[;,\\n]+/).filter(function (s) { return s.trim(); });
    var sel = params.get("v") ? "the stored view " + params.get("v") :
        parts.length === 0 ? "the default time range" :
        parts.length === 1 ? parts[0] :
        parts.length + " time ranges, " + parts[0] + " to " + parts[parts.length - 1];
    var busy = function (c) { return typeof c === "string" && c.indexOf("Updating for") === 0; };
    var keep = shown || {};
    var next = {
        et: busy(et) ? keep.et : et, mmq: busy(mmq) ? keep.mmq : mmq, sel: sel
    };
    var text = "Updating for " + sel + " ...";
    return [text, text, next];
}
"""

_CANCELLED_JS = """
function(n, shown) {
    var nu = window.dash_clientside.no_update;
    if (!n || !shown) { return [nu, nu]; }
    var say = function (c) {
        return "Cancelled: " + shown.sel + " was not drawn; this figure still shows the " +
            "previous selection. " + (c || "");
    };
    return [say(shown.et), say(shown.mmq)];
}
"""


def register_stale_callbacks(app: dash.Dash) -> None:
    """Client-side callbacks: ``Updating for ...`` captions, and what a cancel left shown."""
    app.clientside_callback(
        _UPDATING_JS,
        Output(Ids.ET_CAPTION, "children", allow_duplicate=True),
        Output(Ids.MMQ_CAPTION, "children", allow_duplicate=True),
        Output(JobIds.SHOWN, "data"),
        Input(Ids.URL, "search"),
        State(Ids.ET_CAPTION, "children"),
        State(Ids.MMQ_CAPTION, "children"),
        State(JobIds.SHOWN, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _CANCELLED_JS,
        Output(Ids.ET_CAPTION, "children", allow_duplicate=True),
        Output(Ids.MMQ_CAPTION, "children", allow_duplicate=True),
        Input(JobIds.CANCEL, "n_clicks"),
        State(JobIds.SHOWN, "data"),
        prevent_initial_call=True,
    )
