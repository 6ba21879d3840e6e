"""Background jobs that stop: abandoned by their page, on SIGTERM, or when the server goes.

:class:`GuardedDiskcacheManager` is Dash's diskcache manager with a guard around each job
process:

- every poll of the job's page (a request for its result) writes a heartbeat in the job
  folder; a job whose page has not polled for ``Settings.job_grace`` seconds (the tab was
  closed, the network is gone) stops itself;
- SIGTERM stops the job (the default action is restored: the handler a web worker
  installed is not inherited, and a job stuck in C code still stops);
- the job stops when the server process whose page started it is gone (a watchdog thread
  checks that process id and start time every second), so a job never outlives the server;
- jobs are forked by a launcher process (``awa-launcher`` in ``ps``) forked from the server
  when the app is built, before any request thread runs: forking a threaded server could
  hand the job a lock of the HDF5 library held by another thread, and the job would wait
  on it for ever.  Jobs are named ``awa-job``.
  (Linux's ``PR_SET_PDEATHSIG`` is not used: it fires when the parent *thread* ends, and
  threaded servers start jobs from short-lived request threads.)

Start, end and stop of each job are logged on ``awa.jobs``, one line each.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import functools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil
from dash import DiskcacheManager

from awa.logs import job_event

log = logging.getLogger("awa.jobs")

#: Process names (``ps``, ``psutil.Process.name``) of the launcher and of the jobs.
LAUNCHER_NAME = b"awa-launcher"
JOB_NAME = b"awa-job"
_MAX_FD = 1 << 16

__all__ = [
    "JOB_NAME", "LAUNCHER_NAME", "GuardedDiskcacheManager", "beat_key", "guard_job",
    "server_identity",
]  # fmt: skip

def _server_alive(parent: tuple[int, float]) -> bool:
    """True while the server process ``(pid, start time)`` runs (not a reused pid)."""
    try:
        proc = psutil.Process(parent[0])
        return proc.create_time() == parent[1] and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def server_identity() -> tuple[int, float]:
    """This process's ``(pid, start time)``, which :func:`guard_job` watches."""
    return os.getpid(), psutil.Process().create_time()


def _set_name(name: bytes) -> None:
    """Name this process as ``ps`` and ``psutil.Process.name`` show it (Linux; else no-op)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0)  # PR_SET_NAME


def beat_key(key: str) -> str:
    """The cache key of the heartbeat of job ``key`` (time of its page's last poll, s)."""
    return f"{key}-awa-beat"


def _watch(cache: Any, key: str, grace: float, parent: tuple[int, float]) -> None:
    """Stop this process when the server is gone or the page stopped polling."""
    every = min(1.0, grace / 4)
    while True:
        time.sleep(every)
        if not _server_alive(parent):
            log.info("job %d stopped: the server process %d is gone", os.getpid(), parent[0])
            job_event("cancel", str(os.getpid()), reason="server gone")
            os._exit(1)
        try:
            beat = cache.get(beat_key(key))
        except Exception:  # the job folder is unreadable: keep going, try again
            continue
        if isinstance(beat, float) and time.time() - beat > grace:
            log.info("job %d cancelled: its page stopped polling %.0f s ago", os.getpid(),
                     time.time() - beat)  # fmt: skip
            job_event("cancel", str(os.getpid()), reason="page stopped polling")
            os._exit(0)


def guard_job(
    job_fn: Callable[..., Any],
    cache: Any,
    grace: float,
    parent: tuple[int, float],
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
    parent : (int, float)
        Process id and start time of the server process whose page started the job
        (:func:`server_identity`).
    result_key : str
        The job's result key (its heartbeat key derives from it).
    """
    # the kernel's default action, not a Python handler: it works even when the job is stuck
    # in C code holding the interpreter lock (a lock inherited locked through the fork)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where it is
    _set_name(JOB_NAME)
    if not _server_alive(parent):  # the server went before the job started
        os._exit(1)
    watchdog = threading.Thread(
        target=_watch, args=(cache, result_key, grace, parent), daemon=True, name="awa-job-guard"
    )
    watchdog.start()
    log.info("job %d started", os.getpid())
    job_event("start", str(os.getpid()))
    started = time.monotonic()
    job_fn(result_key, *args)
    log.info("job %d ended after %.1f s", os.getpid(), time.monotonic() - started)
    job_event("end", str(os.getpid()), seconds=round(time.monotonic() - started, 3))


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
        self._launcher: _Launcher | None = None

    def _beat(self, key: str | None) -> None:
        if key:
            self.handle.set(beat_key(key), time.time(), expire=max(3 * self.grace, 60))

    def start_launcher(self) -> None:
        """Fork the job launcher now, while this process has a single thread (module docstring).

        Call it once every background callback is registered (the end of the app's build).
        Does nothing where ``os.fork`` does not exist.
        """
        if self._launcher is None and hasattr(os, "fork"):
            self._launcher = _Launcher(self, server_identity())

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> int:
        """Start the job in a guarded process; return its process id."""
        self._beat(key)
        progress_key = self._make_progress_key(key)
        if self._launcher is not None:
            fn_key = next((k for k, f in self.func_registry.items() if f is job_fn), None)
            if fn_key is not None:
                pid = self._launcher.start(fn_key, (key, progress_key, args, context))
                if pid is not None:
                    return pid
        # no launcher (or it is gone): fork this process, as Dash does
        from multiprocess import Process

        target = functools.partial(guard_job, job_fn, self.handle, self.grace, server_identity())
        process = Process(target=target, args=(key, progress_key, args, context))
        process.start()
        return int(process.pid)

    def get_result(self, key: str, job: Any) -> Any:
        """The job's result (a poll of its page: the heartbeat is renewed)."""
        self._beat(key)
        return super().get_result(key, job)


class _Launcher:
    """A process forked while the server has one thread; it forks each job on request.

    A job forked from a threaded server may inherit a lock of the HDF5 library held by
    another thread at that instant, and wait on it for ever.  The launcher holds no HDF5
    state and runs no threads, so its children start clean.  It ends when the server's end
    of the pipe closes (the server is gone).
    """

    def __init__(self, manager: GuardedDiskcacheManager, server: tuple[int, float]) -> None:
        here, there = multiprocessing.Pipe()
        self.lock = threading.Lock()
        pid = os.fork()
        if pid == 0:  # the launcher
            here.close()
            _close_inherited(manager, there.fileno())
            code = 0
            try:
                _launcher_loop(there, manager, server)
            except BaseException:  # noqa: BLE001 - a launcher never returns into the server
                code = 1
            os._exit(code)
        there.close()
        self.conn = here
        self.pid = pid
        self.owner = os.getpid()

    def start(self, fn_key: str, job_args: tuple[Any, ...]) -> int | None:
        """Ask the launcher for a job process; its pid, or None if the launcher is gone."""
        if os.getpid() != self.owner:  # a process forked from the server after the launcher
            return None
        with self.lock:
            try:
                self.conn.send((fn_key, job_args))
                reply = self.conn.recv()
            except (OSError, EOFError, pickle.PicklingError, TypeError, AttributeError) as exc:
                log.warning("job launcher %d unusable (%s): forking the job here", self.pid, exc)
                return None
        return int(reply) if isinstance(reply, int) else None


def _close_inherited(manager: GuardedDiskcacheManager, keep: int) -> None:
    """Close what the launcher inherited from the server but stdio and its pipe ``keep``.

    Open pipes and sockets of the server (a test runner's browser driver, a listening
    socket) must not stay open in a process that outlives their use; the job folder's
    connection is closed first, so that the jobs open their own.
    """
    with contextlib.suppress(Exception):
        manager.handle.close()
    os.closerange(3, keep)
    os.closerange(keep + 1, _MAX_FD)


def _launcher_loop(conn: Any, manager: GuardedDiskcacheManager, server: tuple[int, float]) -> None:
    _set_name(LAUNCHER_NAME)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # jobs are reaped as they end
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            fn_key, job_args = conn.recv()
        except EOFError:  # the server is gone
            return
        job_fn = manager.func_registry.get(fn_key)
        if job_fn is None:
            conn.send(None)
            continue
        pid = os.fork()
        if pid == 0:  # the job
            conn.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                guard_job(job_fn, manager.handle, manager.grace, server, *job_args)
            except BaseException:  # noqa: BLE001 - Dash's job function stores its own errors
                log.exception("job %d failed", os.getpid())
                code = 1
            os._exit(code)
        conn.send(pid)
