"""Long requests: background-callback managers and day-by-day histograms with progress.

Selections longer than ``Settings.background_days`` draw their E-T and M-M/Q histograms in
a Dash background callback, with a progress bar ("12 of 30 days") and a cancel button.
The callbacks run

- in local worker processes with results in a ``diskcache`` folder (default), or
- in Celery workers with Redis as broker and result store when ``AWA_REDIS_URL`` is set,
  so that several hosts share the work (``celery -A awa.worker worker``).

Progress comes from the histogram queries themselves: given a ``progress`` callback,
:func:`awa.query.et_histogram` and :func:`awa.query.mmq_histogram` split the selection at
UTC midnights (:func:`day_pieces`) and sum the days (each memoized on its own), calling
``progress(done, total)`` after each.  :func:`progress_scope` names the report of the long
request being drawn; the views ask :func:`day_progress` for the callback to pass down.
No Dash import at module level; no per-user state in globals (the report is a context
variable, private to the thread or task that sets it).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from awa.model import Selection
from awa.query import Progress, day_pieces, sum_histograms
from awa.settings import Settings

if TYPE_CHECKING:
    from celery import Celery
    from dash.background_callback.managers import BaseBackgroundCallbackManager

#: ``report(what, done, total)``: ``done`` of ``total`` days of histogram ``what`` are drawn.
ProgressReport = Callable[[str, int, int], None]

__all__ = [
    "ProgressReport",
    "celery_of",
    "day_pieces",
    "day_progress",
    "default_background_dir",
    "is_long",
    "make_celery",
    "make_manager",
    "progress_scope",
    "progress_text",
    "selection_days",
    "sum_histograms",
]

_report: ContextVar[ProgressReport | None] = ContextVar("awa_progress_report", default=None)


# ---------------------------------------------------------------------------------------
# Days (day_pieces and sum_histograms live in awa.query.histograms)
# ---------------------------------------------------------------------------------------


def selection_days(sel: Selection) -> float:
    """Total length of the selection's time ranges, days (0 when it names none)."""
    return sum(r.seconds for r in sel.times) / 86400.0


def is_long(sel: Selection, settings: Settings) -> bool:
    """True when ``sel`` spans more than ``settings.background_days`` days."""
    return selection_days(sel) > settings.background_days


# ---------------------------------------------------------------------------------------
# Day-by-day histograms
# ---------------------------------------------------------------------------------------


@contextmanager
def progress_scope(report: ProgressReport) -> Iterator[None]:
    """Inside the block, the E-T and M-M/Q views draw day by day and report to ``report``.

    ``report`` gets the histogram's label, the days done and the days in all.  The views
    pass :func:`day_progress` of their label to the histogram query as its ``progress``
    argument; other queries run as usual.
    """
    token = _report.set(report)
    try:
        yield
    finally:
        _report.reset(token)


def day_progress(label: str) -> Progress | None:
    """The ``progress`` callback for histogram ``label`` (None outside :func:`progress_scope`)."""
    report = _report.get()
    if report is None:
        return None

    def progress(done: int, total: int) -> None:
        report(label, done, total)

    return progress


def progress_text(what: str, done: int, total: int) -> str:
    """The progress line of a long request, e.g. ``"E-T histogram: 12 of 30 days"``."""
    unit = "day" if total == 1 else "days"
    return f"{what} histogram: {done} of {total} {unit}"


# ---------------------------------------------------------------------------------------
# Managers
# ---------------------------------------------------------------------------------------


def default_background_dir() -> Path:
    """Per-user folder of background results in the system temporary directory.

    One fixed folder (not one per process), so that every gunicorn worker of a host sees
    the results and progress of jobs another worker started.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"awa-background-{uid}"


def make_celery(settings: Settings) -> Celery:
    """The Celery app of the background callbacks: Redis (``AWA_REDIS_URL``) as broker and
    result store.

    Raises
    ------
    awa.settings.SettingsError
        When ``settings.redis_url`` is not set.
    """
    from celery import Celery

    from awa.settings import SettingsError

    if not settings.redis_url:
        raise SettingsError("Celery background callbacks need AWA_REDIS_URL")
    app = Celery("awa", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        result_expires=settings.cache_timeout,
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        worker_hijack_root_logger=False,
    )
    return app


def make_manager(settings: Settings) -> BaseBackgroundCallbackManager:
    """The background-callback manager for ``settings``.

    Returns
    -------
    dash.CeleryManager
        When ``AWA_REDIS_URL`` is set: jobs run in Celery workers on any host.
    dash.DiskcacheManager
        Otherwise: jobs run in local processes, results in ``settings.background_dir``
        (or :func:`default_background_dir`), shared by the workers of this host.
    """
    from dash import CeleryManager, DiskcacheManager

    expire = settings.cache_timeout
    if settings.redis_url:
        return CeleryManager(make_celery(settings), expire=expire)
    import diskcache

    folder = settings.background_dir or default_background_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=expire)


def celery_of(manager: BaseBackgroundCallbackManager) -> Celery:
    """The Celery app of a Celery manager (what ``celery -A`` runs).

    Raises
    ------
    TypeError
        When ``manager`` is not a Celery manager (``AWA_REDIS_URL`` is not set).
    """
    from celery import Celery

    handle = getattr(manager, "handle", None)
    if not isinstance(handle, Celery):
        raise TypeError(
            "background callbacks do not use Celery; set AWA_REDIS_URL to run them in "
            "Celery workers"
        )
    return handle
