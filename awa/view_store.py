"""Long views kept on the server under a short id (``?v=<id>``, :mod:`awa.model.view_id`).

The query string of a view too long for a link is stored once, content-addressed, without
expiry: in Redis when ``AWA_REDIS_URL`` is set (key ``awa:view:<id>``; a file as well, so a
Redis outage loses nothing), and as a file ``<id>.txt`` in the folder ``views`` of the cache
folder (``AWA_CACHE_DIR``), else of a per-user folder in the system temporary directory.
Files survive a restart; folders are 0700, files 0600, written whole (temporary file and
rename).  The store of an app is bound to its Flask server (:func:`init_view_store`) and
found from the request or app context (:func:`expand`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from awa.model import MAX_QUERY_CHARS, FilterError, view_id, view_id_of
from awa.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["UnknownViewError", "ViewStore", "expand", "init_view_store", "shorten"]

_EXTENSION = "awa_views"


class UnknownViewError(FilterError):
    """A ``?v=<id>`` names no stored view."""


def default_folder(settings: Settings) -> Path:
    """Folder of the stored views for ``settings``."""
    if settings.cache_dir:
        return Path(settings.cache_dir) / "views"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"awa-views-{uid}"


class ViewStore:
    """Query strings by id: files in ``folder``, and Redis at ``redis_url`` when given."""

    def __init__(self, folder: Path, redis_url: str | None = None) -> None:
        self.folder = folder
        self.redis_url = redis_url
        self._redis: Any = None

    def _client(self) -> Any:
        if self.redis_url and self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2,
                                               socket_connect_timeout=2)  # fmt: skip
        return self._redis

    def save(self, query: str) -> str:
        """Store ``query``; return its id (the same id for the same text, always)."""
        key = view_id(query)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"{key}.txt"
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".view-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(query)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        client = self._client()
        if client is not None:
            try:
                client.set(f"awa:view:{key}", query.encode("utf-8"))
            except Exception as exc:  # the file holds it: Redis is a convenience
                log.warning("view store: Redis unavailable (%s); view %s kept on disk", exc, key)
        return key

    def load(self, key: str) -> str | None:
        """The query string stored under ``key``, or None."""
        client = self._client()
        if client is not None:
            try:
                raw = client.get(f"awa:view:{key}")
                if raw is not None:
                    return bytes(raw).decode("utf-8")
            except Exception as exc:
                log.warning("view store: Redis unavailable (%s); reading the disk", exc)
        path = self.folder / f"{key}.txt"
        try:
            return path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None


def init_view_store(server: Flask, settings: Settings) -> None:
    """Bind the view store of ``settings`` to ``server``."""
    server.extensions[_EXTENSION] = ViewStore(default_folder(settings), settings.redis_url)


def _store() -> ViewStore | None:
    if not has_app_context():
        return None
    store = current_app.extensions.get(_EXTENSION)
    return store if isinstance(store, ViewStore) else None


def expand(search: str | None) -> str | None:
    """The query string ``search`` stands for: itself, or the stored view it names.

    Raises
    ------
    FilterError
        When ``v`` is not a well-formed id or comes with other parameters.
    UnknownViewError
        When no view is stored under the id (or no store is bound).
    """
    key = view_id_of(search)
    if key is None:
        return search
    store = _store()
    text = store.load(key) if store is not None else None
    if text is None:
        raise UnknownViewError(
            "v", f"no view is stored under {key} on this server (stored views live in "
            f"{store.folder if store else 'the app'}); the link may come from another server"
        )
    return text


def shorten(query: str) -> str:
    """``query`` itself when a link can carry it, else ``?v=<id>`` of it, stored.

    Outside an app (no store bound) the query is returned unchanged.
    """
    store = _store()
    if len(query) <= MAX_QUERY_CHARS or store is None:
        return query
    return f"?v={store.save(query)}"
