"""Long requests: which requests go to the background, their progress, the managers.

A request goes to the background by its estimated cost (:func:`is_long`): the PHA events
of its time ranges (from the hour index, before any event is read) above
``Settings.background_events``, or more than ``Settings.background_ranges`` ranges.  Its E-T
and M-M/Q histograms are then drawn in a Dash background callback, with a progress bar
("E-T histogram: 3 of 500 ranges, 1.2 M events selected") and a cancel button.  The
callbacks run

- in local worker processes with results in a ``diskcache`` folder (default; the job guard
  of :mod:`awa.jobs` stops abandoned jobs and jobs whose server is gone), or
- in Celery workers with Redis as broker and result store when ``AWA_REDIS_URL`` is set,
  so that several hosts share the work (``celery -A awa.worker worker``).

Progress comes from the histogram queries themselves: given a ``progress`` callback,
:func:`awa.query.et_histogram` and :func:`awa.query.mmq_histogram` draw the selection piece
by piece (:func:`awa.query.by_pieces`), summing as they go.  :func:`progress_scope` names the
report of the long request being drawn; the views ask :func:`day_progress` for the callback
to pass down.  A foreground request has a time budget (:func:`budget_scope`): past it, the
figure gets a message instead of holding the worker.  No Dash import at module level; no
per-user state in globals (the report and the deadline are context variables, private to
the thread or task that sets them).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from awa import query
from awa.model import Selection
from awa.query import Progress, Step, day_pieces, sum_histograms
from awa.settings import Settings

if TYPE_CHECKING:
    from celery import Celery
    from dash.background_callback.managers import BaseBackgroundCallbackManager

#: ``report(what, step)``: histogram ``what`` has done ``step`` (:class:`awa.query.Step`).
ProgressReport = Callable[[str, Step], None]

__all__ = [
    "BudgetExceededError",
    "ProgressReport",
    "budget_scope",
    "celery_of",
    "day_pieces",
    "day_progress",
    "default_background_dir",
    "events_text",
    "foreground_budget",
    "is_long",
    "long_reason",
    "make_celery",
    "make_manager",
    "progress_scope",
    "progress_text",
    "selection_days",
    "sum_histograms",
]

_report: ContextVar[ProgressReport | None] = ContextVar("awa_progress_report", default=None)
_deadline: ContextVar[tuple[float, float] | None] = ContextVar("awa_deadline", default=None)


class BudgetExceededError(query.SelectionTooLargeError):
    """A foreground figure ran past the request's time budget (``Settings.request_seconds``)."""


# ---------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------


def selection_days(sel: Selection) -> float:
    """Total length of the selection's time ranges, days (0 when it names none)."""
    return sum(r.seconds for r in sel.times) / 86400.0


def long_reason(sel: Selection, settings: Settings) -> str | None:
    """Why ``sel`` is drawn in the background (its estimated cost), or None when it is not.

    The cost is the PHA events of the time ranges (store rows, from the hour index: no event
    is read) and the number of ranges; a missing store costs nothing (the foreground says
    it is missing), and so does a selection of more than ``settings.max_ranges`` ranges
    (the foreground says it is refused).
    """
    if not sel.times or len(sel.times) > settings.max_ranges:  # refused in the foreground
        return None
    if len(sel.times) > settings.background_ranges:
        return f"{len(sel.times):,} time ranges (more than {settings.background_ranges:,})"
    try:
        cost = query.estimate_cost(settings.data_dir, sel.times)
    except query.StoreMissingError:
        return None
    if cost.events > settings.background_events:
        return (f"{events_text(cost.events)} events in the time ranges (more than "
                f"{events_text(settings.background_events)})")  # fmt: skip
    return None


def is_long(sel: Selection, settings: Settings) -> bool:
    """True when ``sel`` costs more than a foreground request may (:func:`long_reason`)."""
    return long_reason(sel, settings) is not None


# ---------------------------------------------------------------------------------------
# Piece-by-piece histograms, progress and the time budget
# ---------------------------------------------------------------------------------------


@contextmanager
def progress_scope(report: ProgressReport) -> Iterator[None]:
    """Inside the block, the E-T and M-M/Q views draw piece by piece and report to ``report``.

    ``report`` gets the histogram's label and a :class:`awa.query.Step`.  The views pass
    :func:`day_progress` of their label to the histogram query as its ``progress``
    argument; other queries run as usual.
    """
    token = _report.set(report)
    try:
        yield
    finally:
        _report.reset(token)


@contextmanager
def budget_scope(seconds: float) -> Iterator[None]:
    """Inside the block, a histogram drawn in pieces stops after ``seconds`` of wall time.

    It raises :class:`BudgetExceededError` between two pieces, with what was done.
    """
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def foreground_budget(seconds: float) -> Iterator[None]:
    """:func:`budget_scope` of ``seconds`` unless a background job's report is active."""
    if _report.get() is not None:
        yield
        return
    with budget_scope(seconds):
        yield


def day_progress(label: str) -> Progress | None:
    """The ``progress`` callback for histogram ``label`` (None outside both scopes).

    Inside :func:`progress_scope` it reports each step; inside :func:`budget_scope` it
    raises :class:`BudgetExceededError` once the deadline has passed.
    """
    report, deadline = _report.get(), _deadline.get()
    if report is None and deadline is None:
        return None

    def progress(step: Step) -> None:
        if report is not None:
            report(label, step)
        if deadline is not None and time.monotonic() > deadline[0]:
            raise BudgetExceededError(
                f"the {label} figure took longer than the {deadline[1]:g} s a request may "
                f"take ({progress_text(label, step)}); choose fewer or shorter time ranges"
            )

    return progress


def events_text(n: int) -> str:
    """A count of events, short: ``950``, ``12,345``, ``123.4 k``, ``1.2 M``."""
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1e3:.1f} k"
    return f"{n / 1e6:.1f} M"


def progress_text(what: str, step: Step) -> str:
    """The progress line of a long request: what is done, ranges counted as ranges.

    ``E-T histogram: 3 of 500 ranges, 1.2 M events selected``; a range cut at midnights
    also says its days: ``M-M/Q histogram: 0 of 1 range (4 of 10 days), 950 events
    selected``.
    """
    unit = "range" if step.ranges_total == 1 else "ranges"
    text = f"{what} histogram: {step.ranges_done:,} of {step.ranges_total:,} {unit}"
    if step.pieces_total > step.ranges_total:
        pieces = "days" if step.ranges_total == 1 else "one-day pieces"
        text += f" ({step.pieces_done:,} of {step.pieces_total:,} {pieces})"
    return f"{text}, {events_text(step.events)} events selected"


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
    awa.jobs.GuardedDiskcacheManager
        Otherwise: jobs run in local processes, results in ``settings.background_dir``
        (or :func:`default_background_dir`), shared by the workers of this host; a job
        stops ``settings.job_grace`` s after its page's last poll, on SIGTERM, and with
        the server.
    """
    from dash import CeleryManager

    from awa.jobs import GuardedDiskcacheManager

    expire = settings.cache_timeout
    if settings.redis_url:
        return CeleryManager(make_celery(settings), expire=expire)
    import diskcache

    folder = settings.background_dir or default_background_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return GuardedDiskcacheManager(diskcache.Cache(str(folder)), settings.job_grace,
                                   expire=expire)  # fmt: skip


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
