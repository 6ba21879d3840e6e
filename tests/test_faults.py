"""Faults the lab server survives (issue 13), on 127.0.0.1 with bounded waits:

- a gunicorn worker SIGKILLed in the middle of a request: other requests succeed and the
  master starts a new worker;
- a store removed, then truncated, under the running app: clear 503 answers and a failing
  ``/healthz``, no traceback; restoring the file recovers without a restart;
- ``awa-build build`` SIGKILLed halfway: the previous stores are intact (same checksums)
  and the next build succeeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from awa.chem import schema
from tests.builtstore import SimulatedStores

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
T = "t=1986-039-0300:0400"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 20.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _workers(master: int) -> set[int]:
    try:
        return {c.pid for c in psutil.Process(master).children()}
    except psutil.NoSuchProcess:
        return set()


def _wait(what: str, ok: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@contextlib.contextmanager
def gunicorn(data_dir: Path, tmp: Path, workers: int = 2) -> Iterator[tuple[str, int, Path]]:
    """The image's gunicorn command on a free port; yields (base URL, master pid, log)."""
    port = _free_port()
    log = tmp / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWA_")}
    env.update(
        AWA_DATA_DIR=str(data_dir),
        AWA_CACHE_TYPE="null",
        AWA_BACKGROUND_DIR=str(tmp / "jobs"),
        AWA_WORKERS=str(workers),
        AWA_THREADS="2",
        GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}",
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:server"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("gunicorn to answer", lambda: _answers(base), timeout=60)
        _wait("every worker to start", lambda: len(_workers(proc.pid)) == workers)
        yield base, proc.pid, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(base: str) -> bool:
    try:
        _get(base + "/version", timeout=2)
    except OSError:
        return False
    return True


def _worker_holding(master: int, local_port: int) -> int | None:
    for pid in _workers(master):
        with contextlib.suppress(psutil.Error):
            for conn in psutil.Process(pid).net_connections(kind="tcp"):
                if conn.raddr and conn.raddr.port == local_port:
                    return pid
    return None


def test_a_worker_killed_mid_request_is_replaced(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    with gunicorn(sim_store.folder, tmp_path) as (base, master, log):
        before = _workers(master)
        port = int(base.rsplit(":", 1)[1])
        # a request in progress: the request line and a header sent, the end not yet
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /download/events.csv?" + T.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        local = sock.getsockname()[1]
        holder: list[int] = []

        def held() -> bool:
            holder[:] = [_worker_holding(master, local) or 0]
            return bool(holder[0])

        _wait("a worker to take the request", held)
        victim = holder[-1]
        os.kill(victim, signal.SIGKILL)
        # the killed request ends without an answer (the connection closes) ...
        with contextlib.suppress(OSError):
            sock.sendall(b"\r\n")
            assert sock.recv(100) == b""
        sock.close()
        # ... every other request is answered, while and after the master replaces it
        for _ in range(10):
            status, body = _get(base + "/healthz")
            assert status == 200, body
            assert json.loads(body)["status"] == "ok"
        status, text = _get(f"{base}/download/et.csv?{T}")
        assert status == 200
        assert text.startswith("# Filters:")
        _wait("a new worker", lambda: victim not in _workers(master)
              and len(_workers(master)) == len(before))  # fmt: skip
        assert _workers(master) - before  # a new pid
    assert "Traceback" not in log.read_text()


def test_a_store_removed_or_truncated_under_the_running_app(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    folder = tmp_path / "stores"
    shutil.copytree(sim_store.folder, folder)
    pha = folder / schema.PHA_STORE.filename
    saved = pha.read_bytes()
    with gunicorn(folder, tmp_path, workers=1) as (base, _master, log):
        assert _get(base + "/healthz")[0] == 200
        assert _get(f"{base}/download/et.csv?{T}")[0] == 200

        pha.unlink()
        status, body = _get(base + "/healthz")
        assert status == 503
        assert "is missing" in json.loads(body)["stores"][schema.PHA_STORE.filename]
        status, text = _get(f"{base}/download/et.csv?{T}")
        assert status == 503
        assert f"store {schema.PHA_STORE.filename} is missing" in text
        assert "awa-build" in text
        status, page = _get(base + "/")
        assert status == 200  # the page itself still loads and says what is missing

        pha.write_bytes(saved[: len(saved) // 2])
        status, body = _get(base + "/healthz")
        assert status == 503
        assert json.loads(body)["status"] == "failing"
        status, text = _get(f"{base}/download/et.csv?{T}")
        assert status == 503
        assert schema.PHA_STORE.filename in text

        pha.write_bytes(saved)  # restored: the same server answers again
        status, body = _get(base + "/healthz")
        assert status == 200, body
        status, text = _get(f"{base}/download/et.csv?{T}")
        assert status == 200
        assert text.startswith("# Filters:")
    assert "Traceback" not in log.read_text()


def _sums(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_a_build_killed_halfway_leaves_the_previous_stores(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    fits = sim_store.folder.parent / "fits"
    if not any(fits.glob("*.fits.gz")):
        pytest.skip("the simulated store's daily files are not beside it")
    out = tmp_path / "stores"
    shutil.copytree(sim_store.folder, out)
    before = _sums(out)
    assert schema.PHA_STORE.filename in before
    cmd = [str(BIN / "awa-build"), "build", "--fits", str(fits), "--out", str(out),
           "--no-kp", "--workers", "1", "--allow-failures"]  # fmt: skip
    log = (tmp_path / "build.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:

        def writing() -> bool:
            return any(p.stat().st_size > 0 for d in out.glob(".building-*") for p in d.iterdir())

        _wait("the build to write its new stores", writing, timeout=120)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert _sums(out) == before  # every store and sidecar as it was, byte for byte
    # the next build succeeds and leaves readable stores
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    import tables

    for spec in schema.STORES:
        with tables.open_file(str(out / spec.filename)) as h5:
            assert h5.get_node(f"/{spec.key}/table").nrows >= 0
    with tables.open_file(str(out / schema.PHA_STORE.filename)) as h5:
        assert h5.get_node(f"/{schema.PHA_STORE.key}/table").nrows == len(sim_store.pha)
