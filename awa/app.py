"""Assembly of the AWA app: Flask server, cache, API routes and the Dash page."""

from __future__ import annotations

from pathlib import Path

import dash
from flask import Flask

from awa import health, logs, security
from awa.api import guard_paths, make_blueprint
from awa.background import default_background_dir, make_manager
from awa.cache import init_cache
from awa.hapi import make_blueprint as make_hapi_blueprint
from awa.jobs import GuardedDiskcacheManager
from awa.pages import atlas, compare, coverage, explore, shell, species
from awa.pages.cards import UPLOAD_MAX_BYTES
from awa.query.scan import set_scan_threads
from awa.settings import Settings


def assets_folder() -> Path:
    """The top-level ``assets/`` folder: beside the package in a checkout, else in the
    working directory (the Docker image copies it to /app/assets)."""
    beside = Path(__file__).resolve().parents[1] / "assets"
    return beside if beside.is_dir() else Path.cwd() / "assets"


def build_app(settings: Settings) -> dash.Dash:
    """Create the Dash app (its Flask server is ``app.server``) for ``settings``."""
    server = Flask("awa")
    server.config["AWA_SETTINGS"] = settings
    # caches and job results only this user can read; the signing secret beside them
    if settings.cache_type == "filesystem" and settings.cache_dir is not None:
        security.private_dir(settings.cache_dir)
    jobs_dir = None if settings.redis_url else (settings.background_dir or default_background_dir())
    if jobs_dir is not None:
        security.private_dir(jobs_dir)
    server.secret_key = settings.signing_key or security.signing_secret(
        jobs_dir or default_background_dir()
    )
    init_cache(server, settings)
    set_scan_threads(settings.scan_threads)
    server.register_blueprint(make_blueprint(settings))
    server.register_blueprint(health.make_blueprint(settings, jobs_dir))
    server.register_blueprint(make_hapi_blueprint(settings))  # /hapi: the HAPI 3.1 server
    # Long requests run as background callbacks: local processes, or Celery workers when
    # AWA_REDIS_URL is set (``celery -A awa.worker worker``).
    manager = make_manager(settings)
    server.extensions["awa_background"] = manager
    app = dash.Dash(
        "awa",
        server=server,  # type: ignore[arg-type]
        title="AWA: AMPTE/CCE CHEM",
        assets_folder=str(assets_folder()),
        update_title=None,  # type: ignore[arg-type]
        suppress_callback_exceptions=True,  # pages are swapped in by the shell
        background_callback_manager=manager,
    )
    prefix = str(app.config.requests_pathname_prefix or "/")
    app.layout = shell.layout()
    shell.register_callbacks(
        app,
        {
            "explore": lambda _search: explore.layout(prefix),
            "coverage": lambda _search: coverage.layout(settings, prefix),
            "atlas": lambda search: atlas.layout(settings, search, prefix),
            "species": lambda search: species.layout(settings, search, prefix),
            "compare": lambda search: compare.layout(settings, search, prefix),
        },
    )
    explore.register_callbacks(app, settings)
    coverage.register_callbacks(app, settings)
    atlas.register_callbacks(app, settings)
    species.register_callbacks(app, settings)
    compare.register_callbacks(app, settings)
    # only the pages above, Dash's own routes and the API answer; any other path is a 404
    routes_prefix = str(app.config.routes_pathname_prefix or "/")
    guard_paths(server, routes_prefix, [p for p in shell.PATHS.values() if p != "/"])
    # last: the CSP holds the hashes of the inline scripts of every callback above
    security.install(app, settings, UPLOAD_MAX_BYTES)
    logs.install(server, routes_prefix + "_dash-update-component")
    if isinstance(manager, GuardedDiskcacheManager):
        manager.start_launcher()  # last: every background callback is registered
    return app
