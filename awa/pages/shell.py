"""The app's shell: which page a path shows, the header and the links between pages.

The app's layout is a shell: a location and a content slot that :func:`register_callbacks`
fills with the page of the path (``/`` the data browser, ``/coverage``, ``/atlas``).  Each
page keeps its own state in the query string, so every view has a URL.  Every page draws
its header with :func:`header`, whose links carry the app's path prefix (the Dash
``requests_pathname_prefix``, e.g. ``/awa/`` behind a proxy).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

PAGES: dict[str, str] = {"explore": "Browser", "coverage": "Coverage", "atlas": "Atlas",
                         "species": "Species", "compare": "Compare"}  # fmt: skip
PATHS: dict[str, str] = {"explore": "/", "coverage": "/coverage", "atlas": "/atlas",
                         "species": "/species", "compare": "/compare"}  # fmt: skip


class ShellIds(StrEnum):
    """Component ids of the shell (present on every page)."""

    LOCATION = "page"
    CONTENT = "page-content"
    KIND = "page-kind"


def page_of(path: str | None) -> str:
    """Page shown for a path relative to the app root (``""``, ``coverage``, ``atlas``...)."""
    first = (path or "").strip("/").split("/")[0].lower()
    return first if first in PATHS and first != "explore" else "explore"


def nav_links(active: str, prefix: str = "") -> html.Nav:
    """Links to the three pages, the ``active`` one marked (``prefix``: app path prefix)."""
    return html.Nav(
        [
            html.A(
                label,
                href=prefix.rstrip("/") + PATHS[kind],
                className="awa-nav-link" + (" awa-nav-active" if kind == active else ""),
            )
            for kind, label in PAGES.items()
        ],  # fmt: skip
        className="awa-nav",
    )


def header(active: str, prefix: str = "", extra: list[Any] | None = None) -> html.Div:
    """Page header: name, subtitle, navigation and optional ``extra`` components."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span("AWA", className="awa-logo"),
                    html.Span(
                        "AMPTE/CCE CHEM ion composition, 1984-1989", className="awa-subtitle"
                    ),
                ]
            ),  # fmt: skip
            nav_links(active, prefix),
            *(extra or []),
        ],
        className="awa-header",
    )


def layout() -> html.Div:
    """The shell: location, current page kind and the content slot."""
    return html.Div(
        [
            dcc.Location(id=ShellIds.LOCATION, refresh=False),
            dcc.Store(id=ShellIds.KIND),
            html.Div(id=ShellIds.CONTENT),
        ]
    )


def register_callbacks(app: dash.Dash, pages: dict[str, Callable[[str | None], Any]]) -> None:
    """Fill the content slot with ``pages[kind](search)`` when the path names another page."""

    @app.callback(
        output={
            "content": Output(ShellIds.CONTENT, "children"),
            "kind": Output(ShellIds.KIND, "data"),
        },
        inputs={"pathname": Input(ShellIds.LOCATION, "pathname")},
        state={
            "current": State(ShellIds.KIND, "data"),
            "search": State(ShellIds.LOCATION, "search"),
        },
    )
    def _route(pathname: str | None, current: str | None, search: str | None) -> dict[str, Any]:
        kind = page_of(app.strip_relative_path(pathname or "/"))
        if kind == current:
            return {"content": dash.no_update, "kind": dash.no_update}
        return {"content": pages[kind](search), "kind": kind}
