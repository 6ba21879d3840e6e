"""Fixtures of the browser tests: the app served on 127.0.0.1 and headless Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builtstore import SimulatedStores

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(data_dir: Path, log_dir: Path) -> Iterator[str]:
    """Run ``awa serve`` over ``data_dir`` on a free 127.0.0.1 port; yield its base URL.

    The server's output goes to ``log_dir/server.log``; its background jobs to
    ``log_dir/jobs``.  It is stopped on exit.
    """
    port = _free_port()
    log = log_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWA_")}
    env["PYTHONPATH"] = str(ROOT)
    env["AWA_CACHE_TYPE"] = "simple"
    env["AWA_BACKGROUND_DIR"] = str(log_dir / "jobs")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "awa.cli", "serve", "--data", str(data_dir),
             "--port", str(port), "--host", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT),
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def served(sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the built day (``sim_store``), on a free 127.0.0.1 port; yields its URL."""
    with serve(sim_store.folder, tmp_path_factory.mktemp("server")) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install "
                    "chromium)")  # fmt: skip
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright Python package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Folder for screenshots: AWA_SCREENSHOT_DIR when set, else the test's tmp_path."""
    folder = Path(os.environ.get("AWA_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
