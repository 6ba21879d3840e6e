"""gunicorn settings shared by `make run`, the Dockerfile and the tests.

Workers are threaded (``gthread``): a long streamed download or a slow figure holds one
thread of a worker, not the whole worker, so ``/healthz`` and other users keep being
served.  Their number comes from the app's settings (``AWA_WORKERS``, ``AWA_THREADS``).
Override any setting on the command line or with GUNICORN_CMD_ARGS (e.g.
"--bind 127.0.0.1:9000").
"""

import sys
from typing import Any

from awa.settings import Settings

_settings = Settings.from_env()

bind = "0.0.0.0:8050"
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
# Long whole-mission queries run as background callbacks; a plain request may still take a while.
timeout = 300
graceful_timeout = 30
# Idle keep-alive connections stay open longer than a user's pause between requests: a
# connection closed by the server just as the browser reuses it is a failed request.
keepalive = 75
# A worker is replaced after this many requests (bounds slow memory growth).
max_requests = 2000
max_requests_jitter = 200
# The largest request line gunicorn accepts; AWA keeps its links shorter
# (awa.model.MAX_QUERY_CHARS).
limit_request_line = 8190
# awa.logs writes one structured line per request on the error log: no second access log.
accesslog = None
errorlog = "-"


def post_worker_init(worker: Any) -> None:
    """Threads of a worker hand the interpreter over every 1 ms (default 5 ms): a short
    request such as /healthz beside a CPU-bound figure waits ~1 ms, not ~5 ms, each time
    it needs the interpreter back after I/O."""
    sys.setswitchinterval(0.001)
