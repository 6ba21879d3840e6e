"""View functions: application state in, figure + caption out (plotly only, no Dash).

Each function resolves the state against the stores (the default time range when the URL
names none), calls the query layer and a figure builder, and turns every expected failure
(missing store, empty selection, too large a selection) into a message figure.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from awa import background, fanout, query, view_store
from awa.chem import schema
from awa.figures.common import caption, message_figure, span_text
from awa.figures.et import et_figure
from awa.figures.histogram import MAX_FIGURE_CELLS
from awa.model import (
    IMAGE_FORMATS,
    AppState,
    FilterError,
    TimeRange,
    format_boxes,
    format_time_range,
    parse_float,
    parse_query,
    to_query,
    with_times,
)
from awa.pha_grid import level_note, mmq_bins, mmq_edges, rejection_note
from awa.query.me import CycleFilter, filters_caption
from awa.settings import Settings
from awa.view_base import View, grid_cells, too_fine, wrap
from awa.views_upload import upload_view

__all__ = [
    "BASE_GRAPH_CONFIG",
    "AppState",
    "View",
    "check_ranges",
    "clip_times",
    "data_dir_status",
    "download_link",
    "download_title",
    "et_view",
    "events_csv_refusal",
    "graph_config",
    "grid_cells",
    "me_timeline_view",
    "me_view",
    "mmq_view",
    "no_data_message",
    "resolve_state",
    "state_of",
    "storm_options",
    "timeline_view",
    "upload_view",
]


def resolve_state(settings: Settings, state: AppState) -> AppState:
    """Fill in the default time range (first day of the PHA store) when none is given."""
    if state.selection.times:
        return state
    try:
        default = query.default_time_range(settings.data_dir)
    except query.StoreMissingError:
        return state
    return with_times(state, (default,)) if default else state


def download_link(name: str, state: AppState) -> str:
    """Relative URL of the CSV download ``name`` for ``state`` (served by ``awa.api``).

    A query string too long for a link is stored and named by its id (``?v=<id>``)."""
    return f"download/{name}.csv{view_store.shorten(to_query(state))}"


def check_ranges(settings: Settings, state: AppState) -> None:
    """Refuse a selection of more time ranges than ``settings.max_ranges``.

    The ranges are counted after overlapping and touching ones are merged (the URL parser
    merges them).

    Raises
    ------
    query.SelectionTooLargeError
        With the number of ranges, the limit and what to do.
    """
    n = len(state.selection.times)
    if n > settings.max_ranges:
        raise query.SelectionTooLargeError(
            f"the selection has {n:,} time ranges (after merging those that overlap or "
            f"touch), more than the {settings.max_ranges:,} one view may have "
            f"(AWA_MAX_RANGES); use fewer, longer ranges"
        )


def events_csv_refusal(settings: Settings, state: AppState, histogram_url: str) -> str | None:
    """Why the events CSV of ``state`` is refused before streaming, or None when it is not.

    The rows are the PHA events of the time ranges (hour index, nothing read); beyond
    ``settings.events_csv_max_rows`` the message offers the histogram CSV
    (``histogram_url``) instead.

    Raises
    ------
    query.StoreMissingError
        When the PHA store is missing.
    """
    rows = query.estimate_cost(settings.data_dir, state.selection.times).events
    if rows <= settings.events_csv_max_rows:
        return None
    return (
        f"the events CSV of this view would hold up to {rows:,} events (the rows of its time "
        f"ranges), more than the {settings.events_csv_max_rows:,} an events download may "
        f"hold (AWA_EVENTS_CSV_MAX_ROWS). Download the E-T histogram CSV instead: "
        f"{histogram_url} , or choose shorter time ranges."
    )


def _failure(exc: Exception, title: str) -> View:
    if isinstance(exc, background.BudgetExceededError):
        msg = f"Too slow for one request: {exc}"
    elif isinstance(exc, query.StoreMissingError):
        msg = f"No data: {exc}"
    elif isinstance(exc, query.SelectionTooLargeError):
        msg = f"Selection too large: {exc}"
    elif isinstance(exc, FilterError):
        msg = f"Invalid input: {exc}"
    else:  # pragma: no cover - unexpected errors are reported, not hidden
        raise exc
    # a message can quote user text (a URL value): escaped, so plotly shows it as text
    return View(message_figure(wrap(html.escape(msg, quote=False)), title), msg, "")


def _no_time(settings: Settings, title: str) -> View:
    """View shown when no time range is known: the missing store, or a request for a time."""
    try:
        query.get_table(settings.data_dir, schema.PHA_STORE)
    except query.StoreMissingError as exc:
        return _failure(exc, title)
    return View(message_figure("Choose a time range.", title), "No time range chosen.", "")


def no_data_message(settings: Settings, spec: schema.StoreSpec,
                    times: tuple[TimeRange, ...]) -> str | None:  # fmt: skip
    """The message when no row of store ``spec`` lies in ``times``, else None.

    ``No data between X and Y: the stores cover A to B`` (UTC), and whether the range is
    outside the stores or in a gap between days with data.

    Raises
    ------
    query.StoreMissingError
        When the store is missing.
    """
    table = query.get_table(settings.data_dir, spec)
    if sum(hi - lo for lo, hi in query.row_ranges(table, times)) > 0:
        return None
    start, end = times[0].start, times[-1].end
    asked = f"No data between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"
    span = query.summarize(settings.data_dir).spans.get(spec.filename)
    if span is None:
        return f"{asked}: the store {spec.filename} is empty."
    cover = f"the stores cover {span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC"
    if end <= span[0] or start > span[1]:
        return f"{asked}: {cover}."
    return f"{asked}: {cover}, and this range falls in a gap (the Coverage page lists the days)."


def _no_data(settings: Settings, spec: schema.StoreSpec, times: tuple[TimeRange, ...],
             title: str) -> View | None:  # fmt: skip
    msg = no_data_message(settings, spec, times)
    return None if msg is None else View(message_figure(wrap(msg), title), msg, "")


def _scatter_or_note(
    settings: Settings, key: query.StoreKey, state: AppState, kind: str, title: str, label: str
) -> tuple[View | None, str]:
    """The event scatter of ``state`` when it holds few enough events, else a note saying why
    the heatmap is shown instead."""
    from awa.figures.scatter import drawn_count, drawn_text, scatter_figure

    sel = state.selection
    sample = query.select_events(
        key, sel, settings.scatter_max_events, settings.max_rows, settings.chunk_rows
    )
    if sample.complete:
        drawn = drawn_count(sample, kind)
        fig = scatter_figure(sample, state.view, kind,
                             f"{title}: {drawn:,} of {sample.n_selected:,} events drawn")
        cap = caption(label, drawn, sample.n_selected, sel).replace(
            f"{drawn:,} events of {sample.n_selected:,} selected",
            drawn_text(drawn, sample.n_selected, kind), 1)  # fmt: skip
        return View(fig, cap, download_link("events", state)), ""
    return None, (
        f"Scatter needs at most {settings.scatter_max_events:,} events; the selection "
        f"holds {sample.n_selected:,}, so the heatmap is shown. "
    )


def et_view(settings: Settings, state: AppState) -> View:
    """The E-T view (heatmap or event scatter) of ``state``."""
    title = "E-T: TOF vs energy"
    state = resolve_state(settings, state)
    sel, view = state.selection, state.view
    if not sel.times:
        return _no_time(settings, title)
    try:
        check_ranges(settings, state)
        key = query.store_key(settings.data_dir)
        empty = _no_data(settings, schema.PHA_STORE, sel.times, title)
        note = ""
        if view.et_mode == "scatter":
            if empty is not None:
                return empty
            shown, note = _scatter_or_note(settings, key, state, "et", title, "E-T events")
            if shown is not None:
                return shown
        cells = grid_cells(
            query.channel_edges(*view.et_x, view.et_bin),
            query.channel_edges(*view.et_y, view.et_bin),
        )
        if cells > MAX_FIGURE_CELLS:
            return too_fine(title, cells, "widen the bin or narrow the TOF/energy ranges",
                             download_link("et", state))  # fmt: skip
        if empty is not None:
            return empty
        with background.foreground_budget(settings.request_seconds):
            hist = fanout.histogram(
                query.et_histogram, "E-T",
                key, sel, view.et_bin, view.et_x, view.et_y, settings.max_rows,
                settings.chunk_rows,
            )  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return _failure(exc, title)
    head = f"{title}: {hist.n_shown:,} of {hist.n_selected:,} events"
    fig = et_figure(hist, view, head)
    cap = (note + caption("E-T", hist.n_shown, hist.n_selected, sel)
           + level_note(hist.counts.size) + rejection_note(sel))  # fmt: skip
    return View(fig, cap, download_link("et", state))


def data_dir_status(settings: Settings) -> str:
    """One line on the stores: their time span, or which are missing."""
    try:
        summary = query.summarize(settings.data_dir)
    except OSError as exc:  # pragma: no cover
        return f"Stores unreadable: {exc}"
    if summary.missing:
        return f"Missing stores in {Path(settings.data_dir)}: {', '.join(summary.missing)}"
    span = summary.spans.get("AMPTE_CHEM_nocal_pha.h5")
    rows = summary.rows.get("AMPTE_CHEM_nocal_pha.h5", 0)
    if not span:
        return "The PHA store is empty."
    return f"PHA store: {rows:,} events, {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}"


def state_of(search: str | None) -> AppState:
    """The state a URL query string describes (bad parameters are skipped).

    ``?v=<id>`` stands for the stored view; a bad or unknown id describes the default
    state (the URL callback says why, :func:`awa.pages.explore.on_change`)."""
    try:
        return parse_query(view_store.expand(search))[0]
    except FilterError:
        return AppState()


def mmq_view(settings: Settings, state: AppState) -> View:
    """The M-M/Q view (heatmap or event scatter) of ``state``."""
    from awa.figures.mmq import mmq_figure

    title = "M-M/Q: mass vs mass per charge"
    state = resolve_state(settings, state)
    sel, view = state.selection, state.view
    if not sel.times:
        return _no_time(settings, title)
    try:
        check_ranges(settings, state)
        key = query.store_key(settings.data_dir)
        empty = _no_data(settings, schema.PHA_STORE, sel.times, title)
        note = ""
        if view.mmq_mode == "scatter":
            if empty is not None:
                return empty
            shown, note = _scatter_or_note(settings, key, state, "mmq", title, "M-M/Q events")
            if shown is not None:
                return shown
        cells = grid_cells(*mmq_edges(view))
        if cells > MAX_FIGURE_CELLS:
            return too_fine(title, cells, "widen the log10 bins or narrow the M/Q and M ranges",
                             download_link("mmq", state))  # fmt: skip
        if empty is not None:
            return empty
        bx, by, exact = mmq_bins(view)
        with background.foreground_budget(settings.request_seconds):
            hist = fanout.histogram(
                query.mmq_histogram, "M-M/Q",
                key, sel, bx, by, view.mmq_x, view.mmq_y, view.mmq_norm, settings.max_rows,
                settings.chunk_rows, exact_range=exact,
            )  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return _failure(exc, title)
    weight = " (weighted by BRn/Rn)" if hist.weighted else ""
    head = f"{title}: {hist.n_shown:,} of {hist.n_selected:,} events{weight}"
    fig = mmq_figure(hist, view, head)
    grid = " on the team's grid (edges span the ranges exactly)" if exact else ""
    axes = "" if view.mmq_log else " Linear axes (the bins stay equal in log10)."
    if hist.n_shown < hist.n_selected:
        axes += (
            f" The other {hist.n_selected - hist.n_shown:,} selected events are not drawn: "
            "events without an energy signal (not triples) have no mass, and others fall "
            "outside the grid's ranges."
        )
    cap = (note + caption("M-M/Q" + weight + grid, hist.n_shown, hist.n_selected, sel) + axes
           + level_note(hist.counts.size) + rejection_note(sel))  # fmt: skip
    return View(fig, cap, download_link("mmq", state))


def clip_times(times: tuple[TimeRange, ...], window: TimeRange) -> tuple[TimeRange, ...]:
    """The parts of ``times`` inside ``window``."""
    out = []
    for r in times:
        a, b = max(r.start, window.start), min(r.end, window.end)
        if b > a:
            out.append(TimeRange(a, b))
    return tuple(out)


def timeline_view(settings: Settings, state: AppState, zoom: TimeRange | None = None) -> View:
    """Stacked timelines of the chosen panels plus Kp and Dst, over the time ranges.

    With ``zoom`` (the visible span after a zoom), the data are re-read and decimated for
    that span only, so zooming in reveals every spin; the axis keeps the user's zoom.
    """
    from awa.figures.timeline import timeline_caption, timeline_figure
    from awa.model.view import own_panel_name
    from awa.query.timelines import panel_source, spin_count, spin_filters

    title = "Timelines"
    state = resolve_state(settings, state)
    sel, view = state.selection, state.view
    if not sel.times:
        return _no_time(settings, title)
    times = clip_times(sel.times, zoom) if zoom is not None else sel.times
    if not times:
        times = sel.times
        zoom = None
    panels = (*view.panels, *(own_panel_name(q) for q in view.tl_quantities), "Kp", "Dst")
    spin_sel = spin_filters(sel) if view.tl_filtered else None
    try:
        check_ranges(settings, state)
        key = query.store_key(settings.data_dir)
        if (empty := _no_data(settings, schema.RATES_STORE, sel.times, title)) is not None:
            return empty
        data = query.timeline(key, times, panels, settings.timeline_points,
                              settings.max_rows, spin_sel, view.tl_pc0)  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return _failure(exc, title)
    rated = [s[0].n_raw for p, s in data.items() if s and panel_source(p)[0] is schema.RATES_STORE]
    n_raw = max([s[0].n_raw for s in data.values() if s]  # rows read; filtered: spins kept
                + ([spin_count(settings.data_dir, times)] if rated else []))  # fmt: skip
    head = f"{title}: {span_text(sel.times)}"
    span = (sel.times[0].start, sel.times[-1].end)
    fig = timeline_figure(data, view.log_rates, head, view.storm_dst, span, view.tl_yranges)
    zoom_text = f" Zoomed to {span_text(times)}: re-read at full detail." if zoom else ""
    filters = (spin_sel.describe() or "none") if spin_sel is not None else None
    cap = timeline_caption(panels, settings.timeline_points, n_raw, span_text(sel.times),
                           zoom_text, filters, view.tl_pc0, rated[0] if rated else None)
    return View(fig, cap, download_link("timeline", state))


def me_view(settings: Settings, state: AppState) -> View:
    """Matrix-element box counts over the selected time ranges (science cycles passing the
    per-cycle filters, :class:`awa.query.me.CycleFilter`).

    The picture is rebuilt from the box list (spec section 6); ``state.view.me`` sets the
    colour limits and axis window.  The download is the CSV of the box totals with box
    limits.
    """
    from awa.figures.me import me_figure

    title = "Matrix elements (on-board M-M/Q classification)"
    opts = state.view.me
    state = resolve_state(settings, state)
    sel = state.selection
    if not sel.times:
        return _no_time(settings, title)
    try:
        check_ranges(settings, state)
        if (empty := _no_data(settings, schema.ME_STORE, sel.times, title)) is not None:
            return empty
        totals = query.me_totals(
            query.store_key(settings.data_dir), sel.times, CycleFilter.of(sel),
            settings.max_rows,
        )  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return _failure(exc, title)
    n = int(totals.counts[: schema.N_ME_BOXES].sum())
    head = f"{title}: {n:,} counts in {totals.n_cycles:,} cycles"
    cap = (
        f"Matrix elements ME0-ME490 summed over {totals.n_cycles:,} science cycles: {n:,} "
        f"counts. Time: {span_text(sel.times)}. {filters_caption(sel)} Each box is a "
        f"rectangle of the on-board grid coloured by its counts (log scale; grey: no "
        f"counts); background boxes 252-256 (red dashed) lie under the others; doubles "
        f"ME0-47 (no energy) are in the strip below. Click a box to add it to the "
        f"timeline's boxes."
    )
    fig = me_figure(totals.counts, head, opts.z_range, opts.mpq_range, opts.mass_range)
    return View(fig, cap, download_link("me", state))


def me_timeline_view(settings: Settings, state: AppState) -> View:
    """Counts per cycle of the ME boxes ``state.view.me.boxes`` against time."""
    from awa.figures.me import me_timeline_figure

    opts = state.view.me
    label = format_boxes(opts.boxes)
    title = f"ME timeline: boxes {label}"
    state = resolve_state(settings, state)
    sel = state.selection
    if not sel.times:
        return _no_time(settings, title)
    try:
        check_ranges(settings, state)
        if (empty := _no_data(settings, schema.ME_STORE, sel.times, title)) is not None:
            return empty
        series = query.me_timeline(
            query.store_key(settings.data_dir), sel.times, CycleFilter.of(sel), opts.boxes,
            points=settings.timeline_points, max_rows=settings.max_rows,
        )  # fmt: skip
    except (query.StoreMissingError, query.SelectionTooLargeError, FilterError) as exc:
        return _failure(exc, title)
    span = (sel.times[0].start, sel.times[-1].end)
    head = f"{title}: {series.total:,.0f} counts in {series.n_cycles:,} cycles"
    fig = me_timeline_figure(series, head, span)
    cap = (
        f"Counts per science cycle in ME boxes {label}, {series.n_cycles:,} cycles "
        f"(decimated to about {settings.timeline_points} points). Time: "
        f"{span_text(sel.times)}. {filters_caption(sel)}"
    )
    return View(fig, cap, download_link("me_timeline", state))


def storm_options(settings: Settings, threshold_text: str | None) -> list[dict[str, str]]:
    """Dropdown options of the storms below the Dst threshold (value: the time range)."""
    try:
        threshold = parse_float(threshold_text or "-100", "storm", -1000, 0)
        storms = query.storm_intervals(query.store_key(settings.data_dir), threshold)
    except (FilterError, query.StoreMissingError):
        return []
    out = []
    for s in storms[:500]:
        r = TimeRange(s.start, s.end)
        hours = (s.end - s.start).total_seconds() / 3600
        label = f"{s.start:%Y-%m-%d %H}h, {hours:.0f} h, min Dst {s.min_dst:.0f} nT"
        out.append({"label": label, "value": format_time_range(r)})
    return out


#: Toolbar of every figure of the page (the image format is added by :func:`graph_config`).
BASE_GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "scrollZoom": True,
    "modeBarButtonsToRemove": ["lasso2d", "sendChartToCloud", "sendDataToCloud"],
    "showSendToCloud": False,
    "plotlyServerURL": "",
}

# plotly.js titles its camera button "Download plot as a PNG" for PNG and "Download plot"
# for any other format; a per-format locale renames both so the title names the format.
# A change of locale also makes plotly.js rebuild the toolbar, so the title follows the
# format when it changes on a figure already drawn.
_CAMERA_TITLES = ("Download plot as a PNG", "Download plot")


def download_title(image_format: str) -> str:
    """Title of the toolbar's camera button for ``image_format`` (``Download plot as SVG``)."""
    return f"Download plot as {image_format.upper()}"


def graph_config(base: dict[str, Any], image_format: str) -> dict[str, Any]:
    """Graph config whose toolbar camera button downloads ``image_format`` (png or svg).

    The button's title names the format (``Download plot as SVG``) through a locale of
    its own, ``en-awa-<format>`` (English otherwise).
    """
    config = dict(base)
    fmt = image_format if image_format in IMAGE_FORMATS else "png"
    config["toImageButtonOptions"] = {"format": fmt, "scale": 2, "filename": "awa"}
    locale = f"en-awa-{fmt}"
    title = download_title(fmt)
    config["locale"] = locale
    config["locales"] = {locale: {"dictionary": dict.fromkeys(_CAMERA_TITLES, title)}}
    return config
