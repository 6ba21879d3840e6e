"""A throw-away ``redis-server`` (Debian package) and Celery worker for the tests.

The server listens on 127.0.0.1 on a free port, keeps nothing on disk (``--save ''
--appendonly no``) and runs in a folder under the test's ``tmp_path``.  Tests that use it
are marked ``@pytest.mark.redis`` and are skipped with a reason when the binary is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_binary() -> str:
    """Path of ``redis-server``; skips the calling test when it is not installed."""
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if path is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    return path


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@dataclass
class RedisServer:
    """A running ``redis-server`` child process."""

    proc: subprocess.Popen[bytes]
    port: int
    folder: Path

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        path = self.folder / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        _stop(self.proc)


def start_redis(folder: Path, timeout: float = 10.0) -> RedisServer:
    """Start ``redis-server`` on a free local port in ``folder``; wait until it answers."""
    binary = redis_binary()
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(3):  # the free port may be taken between the probe and the bind
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--logfile", "redis.log",
             "--daemonize", "no", "--protected-mode", "yes"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = RedisServer(proc, port, folder)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return server
            except OSError:
                time.sleep(0.05)
        server.stop()
    raise RuntimeError(f"redis-server did not start:\n{server.log()}")


@dataclass
class CeleryWorker:
    """A running ``celery worker`` child process and its log file."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """The worker's output so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the worker (warm shutdown on SIGTERM, SIGKILL after 10 s)."""
        _stop(self.proc)


def start_celery_worker(
    app: str, env: Mapping[str, str], folder: Path, timeout: float = 30.0, name: str = "awa-test"
) -> CeleryWorker:
    """Start ``celery -A app worker`` (solo pool) with ``env`` added; wait until ready.

    Readiness is the worker's "ready." log line (it connects to the broker first).  Its
    node name is ``<name>-<pid of this process>@127.0.0.1``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "celery.log"
    full_env = dict(os.environ)
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else [])
    )
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--hostname", f"{name}-{os.getpid()}@127.0.0.1"],
            cwd=folder, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker = CeleryWorker(proc, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{worker.log()}")
        if " ready." in worker.log():
            return worker
        time.sleep(0.1)
    worker.stop()
    raise RuntimeError(f"celery worker not ready after {timeout:.0f} s:\n{worker.log()}")
