"""Redis stopped mid-run and started again: results and stored views keep being served."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awa import create_app, query, view_store
from awa.model import parse_params
from awa.query import scan
from awa.settings import Settings
from tests.redisserver import RedisServer, free_port, redis_binary


def _redis_on(port: int, folder: Path) -> RedisServer:
    """``redis-server`` on ``port`` (fixed, so a restart is the same server address)."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--logfile", "redis.log"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = RedisServer(proc, port, folder)
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"redis-server did not start:\n{server.log()}")


@pytest.mark.redis
def test_redis_stopped_and_back(
    fallback_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans: list[int] = []
    real = scan.iter_events

    def counting(*args: Any, **kwargs: Any) -> Any:
        scans.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "iter_events", counting)
    port = free_port()
    server = _redis_on(port, tmp_path / "redis")
    try:
        settings = replace(fallback_settings, cache_type="redis", cache_dir=tmp_path / "cache",
                           redis_url=f"redis://127.0.0.1:{port}/0")  # fmt: skip
        app = create_app(settings)
        key = query.store_key(settings.data_dir)
        sel = parse_params({"t": "1986-039-0200:0300"})[0].selection
        long_query = "?t=" + ";".join(f"1986-039-{h:02d}00:{h:02d}01" for h in range(24)) * 60
        with app.server.test_request_context():
            first = query.et_histogram(key, sel, 32)
            assert len(scans) == 1
            query.et_histogram(key, sel, 32)
            assert len(scans) == 1  # from Redis
            stored = view_store.shorten(long_query)
            server.stop()  # Redis gone mid-run
            again = query.et_histogram(key, sel, 32)
            assert len(scans) == 2  # computed without the shared cache, same answer
            np.testing.assert_array_equal(again.counts, first.counts)
            assert view_store.expand(stored) == long_query  # kept on disk as well
            other = view_store.shorten(long_query + "&L=3,8")
            assert view_store.expand(other) == long_query + "&L=3,8"
        client = app.server.test_client()
        r = client.get("/download/et.csv?t=1986-039-0200:0300")
        assert r.status_code == 200  # the app keeps serving
        server = _redis_on(port, tmp_path / "redis")  # Redis back, empty
        with app.server.test_request_context():
            query.et_histogram(key, sel, 32)
            n = len(scans)
            query.et_histogram(key, sel, 32)
            assert len(scans) == n  # the shared cache is used again
    finally:
        server.stop()
