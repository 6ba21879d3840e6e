"""Flask routes of AWA: streamed CSV downloads, ``/health``, ``/api/coverage`` and the atlas.

Downloads take the same query string as the page, so a link built from the page's URL
downloads exactly what is shown.  CSVs are streamed (never embedded in the page).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    jsonify,
    request,
    send_from_directory,
    stream_with_context,
)

from awa import coverage, export, me_export, pha_grid, query, timeline_export, views
from awa.model import PARAM_BY_KEY, FilterError, parse_query
from awa.query.me import CycleFilter
from awa.settings import Settings

#: Response header of a download that ignored parameters of its query string.
IGNORED_HEADER = "X-AWA-Ignored-Parameters"


def known_query(raw: bytes) -> str:
    """The query string without the parameters AWA does not know (they are ignored, as
    the page's URL parser says; :func:`ignored_parameters` names them)."""
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k in PARAM_BY_KEY])


def ignored_parameters(raw: bytes) -> list[str]:
    """Names of the query-string parameters AWA does not know, in order, once each."""
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return list(dict.fromkeys(k for k, _ in pairs if k not in PARAM_BY_KEY))


def _csv_response(chunks: Iterator[str], filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    ignored = ignored_parameters(request.query_string)
    if ignored:
        # header values are latin-1: the names are quoted as URL text
        headers[IGNORED_HEADER] = quote(", ".join(ignored), safe=", ")
    return Response(stream_with_context(chunks), mimetype="text/csv", headers=headers)


def _error(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    return response


def make_blueprint(settings: Settings) -> Blueprint:
    """Routes bound to ``settings`` (the store folder, limits)."""
    bp = Blueprint("awa_api", __name__)

    def _state() -> tuple[views.AppState | None, Response | None]:
        state, errors = parse_query(known_query(request.query_string))
        if errors:
            return None, _error(400, "Bad parameters: " + "; ".join(errors))
        state = views.resolve_state(settings, state)
        if not state.selection.times:
            return None, _error(400, "Choose a time range (parameter t)")
        return state, None

    @bp.route("/health")
    def health() -> Response:
        summary = query.summarize(settings.data_dir)
        body = {
            "status": "ok" if not summary.missing else "missing stores",
            "data_dir": str(settings.data_dir),
            "missing": list(summary.missing),
            "rows": summary.rows,
            "spans": {
                k: [v[0].isoformat(), v[1].isoformat()] if v else None
                for k, v in summary.spans.items()
            },
        }
        response = jsonify(body)
        response.status_code = 200 if not summary.missing else 503
        return response

    @bp.route("/download/<kind>.csv")
    def download(kind: str) -> Response:
        if kind in ("me", "me_timeline", "me_cycles"):
            return _me_download(settings, kind)
        if kind not in ("et", "mmq", "events", "timeline", "rejected"):
            return _error(
                404,
                f"no download named {kind}.csv; try et, mmq, events, timeline, rejected, me, "
                f"me_timeline, me_cycles",
            )
        state, err = _state()
        if err is not None or state is None:
            return err or _error(400, "bad request")
        sel, view = state.selection, state.view
        try:
            key = query.store_key(settings.data_dir)
            if kind == "et":
                hist = query.et_histogram(key, sel, view.et_bin, view.et_x, view.et_y,
                                          settings.max_rows, settings.chunk_rows)  # fmt: skip
                title = pha_grid.csv_title(view, "E-T: TOF vs energy", hist)
                text = export.histogram_csv(hist, "et", title, state)
                return _csv_response(iter([text]), "awa_et.csv")
            if kind == "mmq":
                bx, by, exact = pha_grid.mmq_bins(view)
                hist = query.mmq_histogram(
                    key, sel, bx, by, view.mmq_x, view.mmq_y, view.mmq_norm, settings.max_rows,
                    settings.chunk_rows, exact_range=exact,
                )  # fmt: skip
                what = "M-M/Q" + (" (weighted by BRn/Rn)" if hist.weighted else "")
                title = pha_grid.csv_title(view, what, hist)
                text = export.histogram_csv(hist, "mmq", title, state)
                return _csv_response(iter([text]), "awa_mmq.csv")
            if kind == "events":
                # fail before streaming: a missing store or too many rows is a clear error,
                # never a file cut short
                query.check_row_limit(
                    query.count_rows(settings.data_dir, sel.times), settings.max_rows or None,
                    "PHA rows", scans="an event download may scan",
                    hint=" (histogram downloads have no such limit)",
                )  # fmt: skip
                chunks = export.iter_events_csv(settings.data_dir, state, settings.chunk_rows,
                                                settings.max_rows)  # fmt: skip
                return _csv_response(chunks, "awa_events.csv")
            write = (timeline_export.iter_rejected_csv if kind == "rejected"
                     else timeline_export.iter_timeline_csv)
            chunks = write(settings.data_dir, state, settings.chunk_rows, settings.max_rows)
            first = next(chunks)  # raises here, before streaming, if the selection is too big
            return _csv_response(_prepend(first, chunks), f"awa_{kind}.csv")
        except query.StoreMissingError as exc:
            return _error(503, str(exc))
        except query.SelectionTooLargeError as exc:
            return _error(413, str(exc))

    @bp.route("/api/coverage")
    def api_coverage() -> Response:
        try:
            cov = coverage.read_coverage(settings.data_dir)
        except coverage.CoverageMissingError as exc:
            response = jsonify({"error": str(exc)})
            response.status_code = 404
            return response
        body = dict(cov.raw)
        body["summary"] = coverage.summarize(cov)
        return jsonify(body)

    @bp.route("/atlas-files/<path:name>")
    def atlas_file(name: str) -> Response:
        folder = Path(settings.data_dir).resolve() / coverage.ATLAS_DIR
        if not folder.is_dir():
            return _error(
                404,
                f"no atlas in {folder}: render it with 'awa-build atlas --data "
                f"{settings.data_dir} --out {folder}'",
            )
        if "\x00" in name or not name.endswith((".png", ".json")) or ".." in Path(name).parts:
            return _error(404, f"{name}: only the atlas's .png images and index.json are served")
        target = (folder / name).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            return _error(404, f"{name} is not in the atlas; rebuild it with 'awa-build atlas'")
        response = send_from_directory(folder, name, max_age=3600)
        return response

    return bp


def _me_download(settings: Settings, kind: str) -> Response:
    """CSV of the ME box totals (``me``), of the chosen boxes per cycle (``me_timeline``) or
    of every selected cycle with ME0..ME511 (``me_cycles``, streamed in chunks).

    The query string is the page's: the timeline sums the boxes of URL key ``boxes``; the
    per-cycle filters of the selection apply to all three (:class:`awa.query.me.CycleFilter`).
    """
    state, errors = parse_query(known_query(request.query_string))
    if errors:
        return _error(400, "Bad parameters: " + "; ".join(errors))
    state = views.resolve_state(settings, state)
    sel = state.selection
    if not sel.times:
        return _error(400, "Choose a time range (parameter t)")
    try:
        key = query.store_key(settings.data_dir)
        if kind == "me_cycles":
            chunks = me_export.iter_me_cycles_csv(settings.data_dir, state, settings.chunk_rows,
                                               settings.max_rows)  # fmt: skip
            first = next(chunks)  # raises here, before streaming, if the selection is too big
            return _csv_response(_prepend(first, chunks), "awa_me_cycles.csv")
        if kind == "me":
            totals = query.me_totals(key, sel.times, CycleFilter.of(sel), settings.max_rows)
            title = f"Matrix elements, {totals.n_cycles} science cycles"
            return _csv_response(iter([me_export.me_csv(totals, state, title)]), "awa_me.csv")
        # every cycle (no decimation), within the row limit
        series = query.me_timeline(
            key, sel.times, CycleFilter.of(sel), state.view.me.boxes, points=None,
            max_rows=settings.max_rows,
        )  # fmt: skip
        text = me_export.me_timeline_csv(series, state)
        return _csv_response(iter([text]), "awa_me_timeline.csv")
    except FilterError as exc:
        return _error(400, f"Bad parameters: {exc}")
    except query.StoreMissingError as exc:
        return _error(503, str(exc))
    except query.SelectionTooLargeError as exc:
        return _error(413, str(exc))


def guard_paths(server: Flask, routes_prefix: str, pages: Iterable[str]) -> None:
    """Answer 404 for every path that names nothing of the app, before any view runs.

    Dash serves its page for *any* path below ``routes_prefix`` (a catch-all route); this
    guard lets through only the app's own ``pages`` (paths relative to the prefix, like
    ``coverage``; the root has a route of its own) and refuses a path with a null byte on
    every route (``/atlas-files/x.png%00.json``), so no view sees one.

    Parameters
    ----------
    server : Flask
        The app's server, Dash routes registered.
    routes_prefix : str
        Dash's ``routes_pathname_prefix`` (``/`` or ``/awa/``).
    pages : iterable of str
        Page paths relative to the prefix, without slashes (``coverage``, ``atlas``).
    """
    catchall = routes_prefix + "<path:path>"
    known = {p.strip("/") for p in pages}
    listed = ", ".join(routes_prefix + p for p in sorted(known | {""}))

    @server.before_request
    def _known_paths_only() -> Response | None:
        if "\x00" in request.path:
            return _error(404, "no such path (it holds a null byte)")
        rule = request.url_rule
        if rule is not None and rule.endpoint == catchall:
            path = str((request.view_args or {}).get("path", ""))
            if path.strip("/") not in known or "//" in path:
                return _error(404, f"no page at {request.path}; the pages are {listed}")
        return None


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
