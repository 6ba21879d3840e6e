"""Short ids of long views: a URL ``?v=<id>`` stands for a query string kept on the server.

A view whose query string is longer than :data:`awa.model.url.MAX_QUERY_CHARS` cannot be
carried by a link; the app stores its query string and the link names it by id.  The id is
content-addressed (the first 16 hex digits of the SHA-256 of the query string), so one view
always gets one id, on any server process.  This module holds the pure part: ids and the
recognition of ``?v=<id>``; :mod:`awa.view_store` keeps the texts.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl

from awa.model.parse import FilterError

__all__ = ["VIEW_ID_KEY", "view_id", "view_id_of"]

#: Query-string key of a stored view.
VIEW_ID_KEY = "v"

_ID = re.compile(r"^[0-9a-f]{16}$")


def view_id(query: str) -> str:
    """The id of query string ``query`` (16 lower-case hex digits, content-addressed)."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]


def view_id_of(search: str | None) -> str | None:
    """The view id a query string names (``?v=<id>``), or None when it names none.

    Raises
    ------
    FilterError
        When ``v`` is present but is not an id, or comes with other parameters.
    """
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    ids = [v for k, v in pairs if k == VIEW_ID_KEY]
    if not ids:
        return None
    if len(pairs) != 1:
        raise FilterError(VIEW_ID_KEY, "a stored view (v=<id>) takes no other parameter")
    value = ids[0].strip()
    if not _ID.match(value):
        shown = value[:40] + ("..." if len(value) > 40 else "")
        raise FilterError(
            VIEW_ID_KEY, f"{shown!r} is not a view id (16 hex digits, as the app writes them)"
        )
    return value
