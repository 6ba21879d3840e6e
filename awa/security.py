"""Hardening of the Flask server: body limits, security headers, private folders, the secret.

- **Body limits.**  Flask's ``MAX_CONTENT_LENGTH`` is ``Settings.max_body_bytes`` (1 MiB by
  default) for every route; Dash's callback route, which carries uploaded files as base64
  text, accepts :func:`callback_body_limit` bytes.  A larger body is refused with 413 and a
  plain-text message before any of it is read.
- **Headers.**  A Content-Security-Policy that the Dash page works under (scripts only from
  the app itself plus the hashes of Dash's own inline scripts, no ``eval``; styles inline
  for plotly; no framing), ``X-Content-Type-Options: nosniff`` and friends.
- **Private folders.**  Caches and background-job results live in folders of mode 0700
  owned by the server's user; the signing secret in a file of mode 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from awa.settings import Settings

if TYPE_CHECKING:
    import dash

__all__ = [
    "SECURITY_HEADERS",
    "callback_body_limit",
    "content_security_policy",
    "install",
    "private_dir",
    "signing_secret",
]

#: Headers sent with every response (the CSP is added by :func:`install`).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Room for the JSON around the uploaded files in a callback body, bytes.
_CALLBACK_MARGIN = 1 << 20


def callback_body_limit(upload_max_bytes: int) -> int:
    """Largest body of Dash's callback route, bytes: the uploads' base64 text (4 characters
    per 3 bytes) of ``upload_max_bytes`` bytes of files in all, plus 1 MiB of JSON around."""
    return -(-upload_max_bytes * 4 // 3) + _CALLBACK_MARGIN


def content_security_policy(script_hashes: list[str]) -> str:
    """The Content-Security-Policy header value.

    Parameters
    ----------
    script_hashes : list of str
        ``'sha256-...'`` sources of the page's inline scripts (``dash.Dash.csp_hashes``).
    """
    script = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script}",
            # plotly sets style attributes and injects its own <style> rules
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a folder only this user can enter (mode 0700).

    Raises
    ------
    PermissionError
        When the folder exists but belongs to another user (someone prepared it in a
        shared temporary folder): its contents could be read or planted.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    getuid = getattr(os, "getuid", None)
    st = path.stat()
    if getuid is not None and st.st_uid != getuid():
        raise PermissionError(
            f"{path} belongs to another user (uid {st.st_uid}); remove it or set another "
            f"folder (AWA_CACHE_DIR / AWA_BACKGROUND_DIR)"
        )
    path.chmod(0o700)
    return path


def signing_secret(folder: Path) -> str:
    """The random signing secret kept in ``folder/secret_key`` (mode 0600), created once.

    ``folder`` is made private first (:func:`private_dir`), so every gunicorn worker of a
    host reads the same secret and no other user does.
    """
    path = private_dir(folder) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.chmod(0o600)
        text = path.read_text().strip()
        if text:
            return text
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def install(app: dash.Dash, settings: Settings, upload_max_bytes: int) -> None:
    """Body limits, the 413 message and the security headers on ``app``'s server.

    Call it after every callback is registered: the CSP holds the hashes of the inline
    scripts Dash writes for them.
    """
    server: Flask = app.server  # type: ignore[assignment]
    server.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    prefix = str(app.config.routes_pathname_prefix or "/")
    callback_route = prefix + "_dash-update-component"
    callback_limit = callback_body_limit(upload_max_bytes)
    csp = content_security_policy(list(app.csp_hashes()))

    def limit_here() -> int:
        return callback_limit if request.path == callback_route else settings.max_body_bytes

    def too_large(limit: int) -> Response:
        what = (
            f"uploaded files may hold {_mb(upload_max_bytes)} in all"
            if request.path == callback_route
            else f"this route accepts {_mb(limit)} at most"
        )
        return Response(f"Request too large: {what}.\n", status=413, mimetype="text/plain")

    @server.before_request
    def _body_limit() -> Response | None:
        limit = limit_here()
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            return too_large(limit)
        return None

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> Response:
        return too_large(limit_here())

    @server.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", csp)
        return response
