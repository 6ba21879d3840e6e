"""Background jobs that stop: abandoned by their page, on SIGTERM, or when the server goes.

:class:`GuardedDiskcacheManager` is Dash's diskcache manager with a guard around each job
process:

- every poll of the job's page (a request for its result) writes a heartbeat in the job
  folder; a job whose page has not polled for ``Settings.job_grace`` seconds (the tab was
  closed, the network is gone) stops itself;
- SIGTERM stops the job (the default action is restored: the handler a web worker
  installed is not inherited, and a job stuck in C code still stops);
- the job stops when the process that started it is gone (a watchdog thread compares its
  parent process id with the server's every second), so a job never outlives the server.
  (Linux's ``PR_SET_PDEATHSIG`` is not used: it fires when the parent *thread* ends, and
  threaded servers start jobs from short-lived request threads.)

Start, end and stop of each job are logged on ``awa.jobs``, one line each.
"""

from __future__ import annotations

import faulthandler
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from dash import DiskcacheManager

log = logging.getLogger("awa.jobs")

__all__ = ["GuardedDiskcacheManager", "beat_key", "guard_job"]

def beat_key(key: str) -> str:
    """The cache key of the heartbeat of job ``key`` (time of its page's last poll, s)."""
    return f"{key}-awa-beat"


def _watch(cache: Any, key: str, grace: float, parent: int) -> None:
    """Stop this process when the parent is gone or the page stopped polling."""
    every = min(1.0, grace / 4)
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            log.info("job %d stopped: the server process %d is gone", os.getpid(), parent)
            os._exit(1)
        try:
            beat = cache.get(beat_key(key))
        except Exception:  # the job folder is unreadable: keep going, try again
            continue
        if isinstance(beat, float) and time.time() - beat > grace:
            log.info("job %d cancelled: its page stopped polling %.0f s ago", os.getpid(),
                     time.time() - beat)  # fmt: skip
            os._exit(0)


def guard_job(
    job_fn: Callable[..., Any],
    cache: Any,
    grace: float,
    parent: int,
    result_key: str,
    *args: Any,
) -> None:
    """Run ``job_fn(result_key, *args)`` in this (job) process under the guard.

    Parameters
    ----------
    job_fn : callable
        Dash's job function.
    cache : diskcache.Cache
        The job folder (results, progress, heartbeats).
    grace : float
        Seconds without a poll after which the job stops.
    parent : int
        Process id of the server process that started the job.
    result_key : str
        The job's result key (its heartbeat key derives from it).
    """
    # the kernel's default action, not a Python handler: it works even when the job is stuck
    # in C code holding the interpreter lock (a lock inherited locked through the fork)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where it is
    if os.getppid() != parent:  # the parent went before the request above
        os._exit(1)
    watchdog = threading.Thread(
        target=_watch, args=(cache, result_key, grace, parent), daemon=True, name="awa-job-guard"
    )
    watchdog.start()
    log.info("job %d started", os.getpid())
    started = time.monotonic()
    job_fn(result_key, *args)
    log.info("job %d ended after %.1f s", os.getpid(), time.monotonic() - started)


class GuardedDiskcacheManager(DiskcacheManager):  # type: ignore[misc]
    """Dash's diskcache manager whose jobs stop when abandoned (module docstring).

    Parameters
    ----------
    cache : diskcache.Cache
        The job folder.
    grace : float
        Seconds a job runs on after its page's last poll.
    expire : int, optional
        Lifetime of results, s.
    """

    def __init__(self, cache: Any, grace: float, expire: int | None = None) -> None:
        super().__init__(cache, expire=expire)
        self.grace = grace

    def _beat(self, key: str | None) -> None:
        if key:
            self.handle.set(beat_key(key), time.time(), expire=max(3 * self.grace, 60))

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> int:
        """Start the job in a guarded process; return its process id."""
        from multiprocess import Process

        self._beat(key)
        target = functools.partial(guard_job, job_fn, self.handle, self.grace, os.getpid())
        process = Process(target=target, args=(key, self._make_progress_key(key), args, context))
        process.start()
        return int(process.pid)

    def get_result(self, key: str, job: Any) -> Any:
        """The job's result (a poll of its page: the heartbeat is renewed)."""
        self._beat(key)
        return super().get_result(key, job)
