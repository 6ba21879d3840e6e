"""Entry point of the Celery workers that run the app's background callbacks.

Start one per host (or more) beside the web processes, with the same ``AWA_*`` variables
(``AWA_REDIS_URL`` is required)::

    celery -A awa.worker worker --loglevel=info

Importing this module builds the app from the environment, which registers its
background callbacks as Celery tasks; ``celery_app`` is the Celery app they run on.  It
also runs the chunks of long histograms (:mod:`awa.fanout`): every worker started on any
host with the same ``AWA_REDIS_URL`` and a copy of the stores takes part.
"""

from __future__ import annotations

from awa import fanout
from awa.app import build_app
from awa.background import celery_of
from awa.settings import Settings

settings = Settings.from_env()
dash_app = build_app(settings)
celery_app = celery_of(dash_app.server.extensions["awa_background"])
fanout.register(celery_app, settings)
