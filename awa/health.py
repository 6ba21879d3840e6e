"""``/healthz`` (what a container health check asks) and ``/version``.

``/healthz`` answers 200 when every store is present and readable (first and last row read
back), 503 otherwise; its JSON names each store's state, the stores' build time, and
whether the shared cache and the job queue (Redis) answer.  An unreachable cache or queue
makes the status ``degraded`` but keeps 200: the app still serves without them.
No check holds a lock or waits more than :data:`PING_TIMEOUT` seconds.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify

from awa import coverage, query
from awa.chem import schema
from awa.settings import Settings

__all__ = ["PING_TIMEOUT", "check", "make_blueprint", "versions"]

#: Seconds a Redis ping may take before the cache or queue counts as unreachable.
PING_TIMEOUT = 0.5


def _store_state(data_dir: Path, spec: schema.StoreSpec) -> str:
    try:
        table = query.get_table(data_dir, spec)
        if table.nrows:
            table.read(0, 1)
            table.read(table.nrows - 1, table.nrows)
    except query.StoreMissingError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a damaged HDF5 file fails in many ways
        return f"store {spec.filename} cannot be read ({type(exc).__name__}); rebuild it"
    return "ok"


def _ping(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=PING_TIMEOUT, socket_timeout=PING_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _folder_state(folder: Path | None) -> str:
    if folder is None:
        return "ok"
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return "ok"
    return f"folder {folder} is not writable"


def versions(settings: Settings) -> dict[str, str]:
    """The app's package version, the image's build version and the stores' build time."""
    try:
        app_version = metadata.version("awa")
    except metadata.PackageNotFoundError:
        app_version = "unknown"
    try:
        build_time = coverage.read_coverage(settings.data_dir).build_time
    except Exception:  # noqa: BLE001 - absent or damaged coverage file: no build time
        build_time = ""
    return {"awa": app_version, "image": settings.build_version, "stores_built": build_time}


def check(settings: Settings, background_dir: Path | None) -> tuple[int, dict[str, Any]]:
    """The status code and JSON body of ``/healthz``.

    Parameters
    ----------
    settings : Settings
        The app's settings (store folder, cache type, Redis URL).
    background_dir : Path or None
        The local background-job folder (None when jobs go to Celery).
    """
    data_dir = Path(settings.data_dir)
    stores = {spec.filename: _store_state(data_dir, spec) for spec in schema.STORES}
    if settings.cache_type == "redis" and settings.redis_url:
        cache_state = _ping(settings.redis_url)
    elif settings.cache_type == "filesystem":
        cache_state = _folder_state(settings.cache_dir)
    else:
        cache_state = "ok"
    queue_state = _ping(settings.redis_url) if settings.redis_url else _folder_state(background_dir)
    stores_ok = all(v == "ok" for v in stores.values())
    if not stores_ok:
        status = "failing"
    elif cache_state != "ok" or queue_state != "ok":
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        "stores": stores,
        "cache": {"type": settings.cache_type, "state": cache_state},
        "queue": {"type": "celery" if settings.redis_url else "local", "state": queue_state},
        "version": versions(settings),
    }
    return (200 if stores_ok else 503), body


def make_blueprint(settings: Settings, background_dir: Path | None) -> Blueprint:
    """``/healthz`` and ``/version`` bound to ``settings``."""
    bp = Blueprint("awa_health", __name__)

    @bp.route("/healthz")
    def healthz() -> Response:
        code, body = check(settings, background_dir)
        response = jsonify(body)
        response.status_code = code
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.route("/version")
    def version() -> Response:
        return jsonify(versions(settings))

    return bp
