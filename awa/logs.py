"""Structured logs: one JSON line per request and per background-job event.

A request line is written when the response is closed (after the last byte of a streamed
download), on the ``awa.request`` logger::

    {"event": "request", "method": "POST", "path": "/_dash-update-component",
     "status": 200, "ms": 41.7, "view": "et-graph", "events_scanned": 120000,
     "scanned": {"events": 120000}}

``view`` is the first output of a Dash callback, the download's name, or the route.
``scanned`` counts the store rows each scan was about to read (every scan passes through
:func:`awa.query.store.check_row_limit`, whose hook this module adds).  Jobs log through
:func:`job_event` (``start``, ``end``, ``cancel``) on the ``awa.job`` logger.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from awa.query.store import SCAN_HOOKS

__all__ = ["job_event", "install", "request_view"]

request_log = logging.getLogger("awa.request")
job_log = logging.getLogger("awa.job")


def _setup(logger: logging.Logger) -> None:
    """Plain one-line output on stderr (gunicorn's error log) unless configured already."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _count_scan(what: str, rows: int) -> None:
    if has_request_context():
        scanned = g.setdefault("awa_scanned", {})
        scanned[what] = scanned.get(what, 0) + int(rows)


def request_view(path: str, callback_route: str) -> str:
    """A short name of what the current request asked for (see the module docstring)."""
    if path == callback_route:
        body = request.get_json(silent=True) if request.is_json else None
        output = str(body.get("output", "")) if isinstance(body, dict) else ""
        first = output.strip(".").split("...")[0]
        return first.rsplit(".", 1)[0] or "callback"
    if request.view_args and "kind" in request.view_args:
        return f"download/{request.view_args['kind']}"
    return request.endpoint or "-"


def job_event(event: str, job: str, **fields: Any) -> None:
    """Log a background job's ``start``, ``end`` or ``cancel`` (with e.g. ``ranges=3``)."""
    job_log.info(json.dumps({"event": f"job_{event}", "job": job, **fields}, default=str))


def install(server: Flask, callback_route: str) -> None:
    """Log one line per request of ``server``; ``callback_route`` is Dash's callback path."""
    _setup(request_log)
    _setup(job_log)
    if _count_scan not in SCAN_HOOKS:
        SCAN_HOOKS.append(_count_scan)

    @server.before_request
    def _start() -> None:
        g.awa_t0 = time.perf_counter()

    @server.after_request
    def _line(response: Response) -> Response:
        t0 = g.get("awa_t0", time.perf_counter())
        status = response.status_code
        method, path = request.method, request.path
        try:
            view = request_view(path, callback_route) if status != 413 else "-"
        except Exception:  # noqa: BLE001 - the log line never breaks a response
            view = "-"
        scanned: dict[str, int] = g.setdefault("awa_scanned", {})

        def write() -> None:
            record = {
                "event": "request",
                "method": method,
                "path": path,
                "status": status,
                "ms": round((time.perf_counter() - t0) * 1000, 1),
                "view": view,
                "events_scanned": scanned.get("events", 0),
                "scanned": scanned,
            }
            request_log.info(json.dumps(record))

        response.call_on_close(write)
        return response
