"""Assembly of the AWA app: Flask server, cache, API routes and the Dash page."""

from __future__ import annotations

from pathlib import Path

import dash
from flask import Flask

from awa.api import make_blueprint
from awa.cache import init_cache
from awa.pages import explore
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
    init_cache(server, settings)
    server.register_blueprint(make_blueprint(settings))
    app = dash.Dash(
        "awa",
        server=server,  # type: ignore[arg-type]
        title="AWA: AMPTE/CCE CHEM",
        assets_folder=str(assets_folder()),
        update_title=None,  # type: ignore[arg-type]
    )
    app.layout = explore.layout(settings)
    explore.register_callbacks(app, settings)
    return app
