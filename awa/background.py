"""Long requests: background-callback managers and day-by-day histograms with progress.

Selections longer than ``Settings.background_days`` draw their E-T and M-M/Q histograms in
a Dash background callback, with a progress bar ("12 of 30 days") and a cancel button.
The callbacks run

- in local worker processes with results in a ``diskcache`` folder (default), or
- in Celery workers with Redis as broker and result store when ``AWA_REDIS_URL`` is set,
  so that several hosts share the work (``celery -A awa.worker worker``).

Progress comes from splitting the selection's time ranges at UTC midnights
(:func:`day_pieces`) and summing the histogram of each day: every event lies in exactly
one piece, so the sum equals the histogram of the whole selection, and each day's
histogram is memoized on its own (a later selection overlapping those days reuses them).
:func:`progress_scope` applies this to the histogram calls made inside it without the
view code having to know.  No Dash import at module level; no per-user state in globals.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from awa import query
from awa.cache import intercept
from awa.model import Selection, TimeRange
from awa.settings import Settings

if TYPE_CHECKING:
    from celery import Celery
    from dash.background_callback.managers import BaseBackgroundCallbackManager

#: ``report(what, done, total)``: ``done`` of ``total`` days of histogram ``what`` are drawn.
ProgressReport = Callable[[str, int, int], None]

#: Histogram functions that are split into days, and the label of each in progress reports.
DAY_SPLIT: dict[str, str] = {"et_histogram": "E-T", "mmq_histogram": "M-M/Q"}


# ---------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------


def day_pieces(times: tuple[TimeRange, ...]) -> tuple[TimeRange, ...]:
    """Cut time ranges at every UTC midnight inside them.

    The pieces are half-open like the ranges, in time order, and cover exactly the same
    instants: each lies within one UTC day.
    """
    out: list[TimeRange] = []
    for r in times:
        start = r.start
        while start < r.end:
            midnight = datetime(start.year, start.month, start.day) + timedelta(days=1)
            end = min(midnight, r.end)
            out.append(TimeRange(start, end))
            start = end
    return tuple(out)


def selection_days(sel: Selection) -> float:
    """Total length of the selection's time ranges, days (0 when it names none)."""
    return sum(r.seconds for r in sel.times) / 86400.0


def is_long(sel: Selection, settings: Settings) -> bool:
    """True when ``sel`` spans more than ``settings.background_days`` days."""
    return selection_days(sel) > settings.background_days


# ---------------------------------------------------------------------------------------
# Day-by-day histograms
# ---------------------------------------------------------------------------------------


def sum_histograms(parts: list[query.Hist2D]) -> query.Hist2D:
    """Sum histograms drawn on the same grid (counts and event numbers add).

    Raises
    ------
    ValueError
        When there are no parts or their bin edges differ.
    """
    if not parts:
        raise ValueError("no histograms to sum")
    first = parts[0]
    for p in parts[1:]:
        if not (
            np.array_equal(p.x_edges, first.x_edges)
            and np.array_equal(p.y_edges, first.y_edges)
            and p.weighted == first.weighted
        ):
            raise ValueError("histograms to sum must share bin edges and weighting")
    counts = np.sum([p.counts for p in parts], axis=0)
    return query.Hist2D(
        counts,
        first.x_edges,
        first.y_edges,
        sum(p.n_selected for p in parts),
        sum(p.n_shown for p in parts),
        weighted=first.weighted,
    )


def histogram_by_day(
    fn: Callable[..., query.Hist2D],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    report: Callable[[int, int], None] | None = None,
) -> query.Hist2D:
    """Run histogram query ``fn(*args, **kwargs)`` one UTC day at a time and sum the days.

    ``fn`` is :func:`awa.query.et_histogram` or :func:`awa.query.mmq_histogram` (any
    function with ``key``, ``sel`` and ``max_rows`` parameters returning a
    :class:`~awa.query.Hist2D`).  The row limit ``max_rows`` is checked once on the whole
    selection, as the single call would; ``report(done, total)`` follows each day.

    Raises
    ------
    awa.query.SelectionTooLargeError
        When the whole selection holds more than ``max_rows`` store rows.
    """
    bound = inspect.signature(inspect.unwrap(fn)).bind(*args, **kwargs)
    bound.apply_defaults()
    key: query.StoreKey = bound.arguments["key"]
    sel: Selection = bound.arguments["sel"]
    max_rows = bound.arguments.get("max_rows")
    pieces = day_pieces(sel.times)
    if len(pieces) <= 1:
        out = fn(*args, **kwargs)
        if report is not None:
            report(1, 1)
        return out
    if max_rows is not None:
        total = query.count_rows(key.data_dir, sel.times)
        if total > max_rows:
            raise query.SelectionTooLargeError(
                f"the time range holds {total:,} events, more than the {max_rows:,} one "
                f"view scans; choose a shorter time range"
            )
    parts = []
    for i, piece in enumerate(pieces):
        # Each day keeps the row limit, so its key is that of a one-day view of the day.
        day = dict(bound.arguments, sel=replace(sel, times=(piece,)))
        parts.append(fn(**day))
        if report is not None:
            report(i + 1, len(pieces))
    return sum_histograms(parts)


@contextmanager
def progress_scope(report: ProgressReport) -> Iterator[None]:
    """Inside the block, histogram queries run day by day and report their progress.

    Calls of :func:`awa.query.et_histogram` and :func:`awa.query.mmq_histogram` (also
    those made by view functions) are split by :func:`histogram_by_day`; ``report`` gets
    the histogram's label, the days done and the days in all.  Other queries run as usual.
    """
    targets = {getattr(query, name): label for name, label in DAY_SPLIT.items()}

    def hook(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        label = targets.get(fn)
        if label is None:
            return fn(*args, **kwargs)
        return histogram_by_day(fn, args, kwargs, lambda done, n: report(label, done, n))

    with intercept(hook):
        yield


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
