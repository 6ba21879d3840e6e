"""Browser: progress from the first second, stale figures marked, closed tabs stop their job.

The app runs with small cost limits (a ten-day or a 200-range selection goes to the
background), a 10 s grace period for abandoned jobs (the page polls every second), and each
histogram piece slowed to 0.3 s by a ``sitecustomize`` of the test (so a job lasts long
enough to watch).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awa.jobs import JOB_NAME
from tests.builtstore import SimulatedStores
from tests.e2e.conftest import ROOT, _free_port

GRACE = 10.0

_SLOW_PIECES = """
import time
import awa.query.pieces as pieces

_add = pieces.HistogramSum.add

def _slow_add(self, part):
    time.sleep(0.3)
    _add(self, part)

pieces.HistogramSum.add = _slow_add
"""


@contextlib.contextmanager
def _serve(data_dir: Path, folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    hooks = folder / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(textwrap.dedent(_SLOW_PIECES))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWA_")}
    env.update(PYTHONPATH=f"{hooks}{os.pathsep}{ROOT}", AWA_CACHE_TYPE="simple",
               AWA_BACKGROUND_DIR=str(folder / "jobs"), AWA_BACKGROUND_EVENTS="20000",
               AWA_BACKGROUND_RANGES="20", AWA_JOB_GRACE=str(GRACE))  # fmt: skip
    log = folder / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "awa.cli", "serve", "--data", str(data_dir), "--port",
             str(port), "--host", "127.0.0.1"],
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
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def slow_app(
    sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with _serve(sim_store.folder, tmp_path_factory.mktemp("slow_app")) as served:
        yield served


def _ranges(n: int) -> str:
    """``n`` one-minute ranges two minutes apart on 1986-039."""
    return ";".join(f"1986-039-{(2 * i) // 60:02d}{(2 * i) % 60:02d}:"
                    f"1986-039-{(2 * i + 1) // 60:02d}{(2 * i + 1) % 60:02d}"
                    for i in range(n))  # fmt: skip


def _jobs(proc: subprocess.Popen[bytes]) -> list[int]:
    """Running job processes of the server: descendants named ``awa-job``, not zombies.

    (The server's other descendant, the job launcher ``awa-launcher``, lives as long as
    the server and is not a job.)
    """
    import psutil

    out = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.name() == JOB_NAME.decode() and child.status() != psutil.STATUS_ZOMBIE:
                out.append(child.pid)
    return out


def _first_text(page: Any, timeout: float = 15.0) -> tuple[str, float]:
    """The first non-empty progress text after now, and the seconds it took to appear."""
    start = time.monotonic()
    page.wait_for_function(
        "() => (document.querySelector('#long-progress-text') || {}).innerText",
        timeout=timeout * 1000, polling=50,
    )  # fmt: skip
    return page.inner_text("#long-progress-text"), time.monotonic() - start


def _set_time(page: Any, text: str) -> None:
    page.fill("#time", text)
    page.press("#time", "Enter")


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ("1986-035-0000:1986-045-0000", "E-T histogram: 0 of 1 range (0 of 10 days), 0 events"),
        (_ranges(200), "E-T histogram: 0 of 200 ranges, 0 events"),
    ],
    ids=["ten_days", "200_ranges"],
)
def test_progress_says_what_is_done_from_the_start(
    browser: Any, slow_app: tuple[str, Any], times: str, expected: str, shots: Path
) -> None:
    base, _ = slow_app
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(base + "/?t=1986-039-0100:0200")
    page.wait_for_function(
        "() => ((document.querySelector('#et-caption') || {}).innerText || '').length > 0",
        timeout=60_000,
    )
    _set_time(page, times)
    text, seconds = _first_text(page)
    print(f"progress text after {seconds:.2f} s: {text!r}")
    # the first text is written before the job has drawn anything: what will be done
    assert text.startswith("Starting (")
    assert expected in text
    # then the job's own reports, counting ranges as ranges
    page.wait_for_function(
        "() => /histogram: \\d+ of \\d+ range.*events selected/.test("
        "document.querySelector('#long-progress-text').innerText)"
        " && !document.querySelector('#long-progress-text').innerText.startsWith('Starting')",
        timeout=60_000,
    )
    later = page.inner_text("#long-progress-text")
    assert ("of 200 ranges" in later) if "200" in expected else ("of 10 days)" in later)
    page.screenshot(path=str(shots / f"progress_{len(times)}.png"))
    page.click("#long-cancel")
    page.close()


def test_stale_figures_are_dimmed_and_say_what_they_show(
    browser: Any, slow_app: tuple[str, Any], shots: Path
) -> None:
    base, _ = slow_app
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(base + "/?t=1986-039-0100:0200")
    page.wait_for_function(
        "() => ((document.querySelector('#et-caption') || {}).innerText || '')"
        ".includes('01:00 to')",
        timeout=60_000,
    )
    before = page.inner_text("#et-caption")
    _set_time(page, _ranges(60))
    for caption in ("#et-caption", "#mmq-caption"):
        page.wait_for_function(
            f"() => document.querySelector('{caption}').innerText.startsWith("
            "'Updating for 60 time ranges, 1986-039-0000:1986-039-0001 to ')",
            timeout=15_000,
        )
    # the graphs being recomputed are dimmed (Dash marks them loading; the CSS dims them)
    page.wait_for_function(
        "() => document.querySelector('#et-graph').getAttribute('data-dash-is-loading')"
        " === 'true'",
        timeout=15_000,
    )
    opacity = page.evaluate(
        "() => getComputedStyle(document.querySelector('#et-graph > *')).opacity"
    )
    assert float(opacity) < 0.5
    page.screenshot(path=str(shots / "stale_updating.png"))
    page.wait_for_function("() => document.querySelector('#long-progress-text').innerText",
                           timeout=15_000)  # fmt: skip
    page.click("#long-cancel")
    page.wait_for_function(
        "() => document.querySelector('#et-caption').innerText.startsWith('Cancelled: ')",
        timeout=15_000,
    )
    text = page.inner_text("#et-caption")
    assert text.startswith("Cancelled: 60 time ranges, 1986-039-0000:1986-039-0001 to ")
    assert "this figure still shows the previous selection. " in text
    assert text.endswith(before)  # the caption of what is still drawn
    assert "previous selection" in page.inner_text("#mmq-caption")
    page.screenshot(path=str(shots / "stale_cancelled.png"))
    page.close()


def test_a_closed_tab_stops_its_job(browser: Any, slow_app: tuple[str, Any]) -> None:
    base, proc = slow_app
    deadline = time.monotonic() + 20  # jobs of earlier tests, cancelled, end
    while _jobs(proc) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _jobs(proc) == []
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(base + "/?t=" + _ranges(200))
    page.wait_for_function(
        "() => /of 200 ranges/.test((document.querySelector('#long-progress-text') || {})"
        ".innerText)",
        timeout=60_000,
    )
    started = time.monotonic()
    while not _jobs(proc) and time.monotonic() < started + 30:
        time.sleep(0.1)
    running = _jobs(proc)
    assert len(running) == 1  # 200 pieces at 0.3 s: a minute of work left
    page.close()
    closed = time.monotonic()
    while _jobs(proc) and time.monotonic() < closed + 10 * GRACE:
        time.sleep(0.2)
    stopped_after = time.monotonic() - closed
    print(f"job stopped {stopped_after:.1f} s after the tab closed (grace {GRACE} s)")
    assert _jobs(proc) == [], "the job of the closed tab still runs"
