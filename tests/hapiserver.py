"""A real HAPI server for tests: the AWA app served by werkzeug on 127.0.0.1 in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from awa.app import build_app
from awa.settings import Settings


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """Serve the app of ``settings`` on a free port of 127.0.0.1; yield its ``/hapi`` URL."""
    app = build_app(settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hapi"
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()
