"""Bounded work: ranges merged and capped, a time budget, running sums; jobs that stop."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awa import background, create_app, query, views
from awa.model import Selection, TimeRange, parse_params, parse_time_ranges
from awa.settings import Settings
from tests.builtstore import CONFIG, SimulatedStores, build_folder
from tests.test_background import _job_body, _post, _start

ROOT = Path(__file__).resolve().parents[1]
LONG = "?t=1986-038-0000:1986-041-0000&etbin=32"


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """Three days, 1986-02-07 to 1986-02-10, one ion a spin."""
    folder = tmp_path_factory.mktemp("jobs_three_days")
    quiet = replace(CONFIG, mean_events_per_spin=1.0)
    return build_folder(folder, datetime(1986, 2, 7).date(), days=3, seed=5, config=quiet)


# ---------------------------------------------------------------------------------------
# Ranges: merged, capped
# ---------------------------------------------------------------------------------------


def test_adjacent_and_overlapping_ranges_are_merged() -> None:
    times = parse_time_ranges(
        "1986-039-0100:0200; 1986-039-0200:0300; 1986-039-0250:0400; 1986-039-0500:0600"
    )
    assert times == (
        TimeRange(datetime(1986, 2, 8, 1), datetime(1986, 2, 8, 4)),
        TimeRange(datetime(1986, 2, 8, 5), datetime(1986, 2, 8, 6)),
    )
    state = parse_params({"t": "1986-039-0100:0200;1986-039-0200:0300"})[0]
    assert len(state.selection.times) == 1


def _ranges(n: int) -> str:
    """``n`` one-minute ranges two minutes apart on 1986-039 (never merged)."""
    return ";".join(f"1986-039-{(2 * i) // 60:02d}{(2 * i) % 60:02d}:"
                    f"1986-039-{(2 * i + 1) // 60:02d}{(2 * i + 1) % 60:02d}"
                    for i in range(n))  # fmt: skip


def test_more_ranges_than_the_maximum_get_a_message(three_days: SimulatedStores) -> None:
    settings = Settings(data_dir=three_days.folder, cache_type="null", max_ranges=5)
    state = parse_params({"t": _ranges(6)})[0]
    assert len(state.selection.times) == 6
    expected = ("6 time ranges (after merging those that overlap or touch), more than the 5 "
                "one view may have (AWA_MAX_RANGES)")  # fmt: skip
    for view in (views.et_view, views.mmq_view, views.timeline_view, views.me_view):
        shown = view(settings, state)
        assert expected in shown.caption, view.__name__
        assert shown.download == ""
    # five ranges are drawn
    five = views.et_view(settings, parse_params({"t": _ranges(5)})[0])
    assert "events of" in five.caption
    # too many ranges are not sent to the background either: the message comes at once
    assert background.long_reason(state.selection, replace(settings, background_ranges=2)) \
        is None  # fmt: skip


def test_a_foreground_figure_stops_at_its_time_budget(three_days: SimulatedStores) -> None:
    settings = Settings(data_dir=three_days.folder, cache_type="null", request_seconds=1e-6)
    state = parse_params({"t": "1986-038-0000:1986-041-0000", "etbin": "32"})[0]
    et = views.et_view(settings, state)
    assert et.caption.startswith("Too slow for one request: the E-T figure took longer than "
                                 "the 1e-06 s a request may take (E-T histogram: 0 of 1 range")
    assert et.caption.endswith("choose fewer or shorter time ranges")
    assert "Too slow for one request: the M-M/Q figure" in views.mmq_view(settings, state).caption
    # in a background job the budget does not apply: the job has its own progress and cancel
    steps: list[Any] = []
    with background.progress_scope(lambda w, s: steps.append(s)):
        drawn = views.et_view(settings, state)
    assert "events of" in drawn.caption
    assert steps[-1].pieces_done == 3


# ---------------------------------------------------------------------------------------
# Pieces summed as they arrive
# ---------------------------------------------------------------------------------------


def test_pieces_are_summed_as_they_arrive_and_not_kept(three_days: SimulatedStores) -> None:
    """While piece i is drawn, the histograms of the earlier pieces are already freed."""
    key = query.store_key(three_days.folder)
    sel = Selection(times=parse_time_ranges(_ranges(40)))
    alive: list[weakref.ref[np.ndarray]] = []
    kept_at_call: list[int] = []

    def piece(key: Any, sel: Selection, **params: Any) -> query.Hist2D:
        gc.collect()
        kept_at_call.append(sum(r() is not None for r in alive))
        h = query.et_histogram(key, sel, 32)
        counts = np.array(h.counts)  # a fresh array per piece
        alive.append(weakref.ref(counts))
        return query.Hist2D(counts, h.x_edges, h.y_edges, h.n_selected, h.n_shown)

    steps: list[query.Step] = []
    total = query.by_pieces(piece, key, sel, None, steps.append)
    assert len(kept_at_call) == 40
    assert max(kept_at_call) <= 1  # at most the piece just added (the sum copies it)
    whole = query.et_histogram(key, sel, 32)
    np.testing.assert_array_equal(total.counts, whole.counts)
    assert total.n_selected == whole.n_selected > 0
    assert [s.ranges_done for s in steps] == list(range(41))
    assert steps[-1].events == whole.n_selected


def test_histogram_sum_checks_the_grid(three_days: SimulatedStores) -> None:
    key = query.store_key(three_days.folder)
    sel = Selection(times=parse_time_ranges("1986-039-0000:0100"))
    total = query.HistogramSum()
    total.add(query.et_histogram(key, sel, 16))
    with pytest.raises(ValueError, match="share bin edges"):
        total.add(query.et_histogram(key, sel, 32))
    with pytest.raises(ValueError, match="no histograms"):
        query.HistogramSum().result()


# ---------------------------------------------------------------------------------------
# Jobs that stop: abandoned, SIGTERM, server gone
# ---------------------------------------------------------------------------------------


def _slow(*args: Any, **kwargs: Any) -> Any:
    time.sleep(60)
    raise AssertionError("the job was not stopped")


def _gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def guarded(three_days: SimulatedStores, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=three_days.folder, cache_type="simple", background_dir=tmp_path / "jobs",
        background_events=1, job_grace=2.0,
    )  # fmt: skip


def _start_slow_job(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    monkeypatch.setattr(query, "et_histogram", _slow)  # inherited by the job process
    app = create_app(settings)
    client = app.server.test_client()
    body = _job_body(app, {"search": LONG, "seq": 1})
    handles = _start(client, body)
    pid = int(handles["job"].split("~")[0])
    assert not _gone(pid)
    return client, (body, handles), pid


def test_a_job_whose_page_stops_polling_is_cancelled(
    guarded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, (body, handles), pid = _start_slow_job(guarded, monkeypatch)
    # polled for three grace periods: it keeps running
    deadline = time.monotonic() + 3 * guarded.job_grace
    while time.monotonic() < deadline:
        assert _post(client, body, cacheKey=handles["cacheKey"], job=handles["job"]).status_code \
            == 200  # fmt: skip
        time.sleep(0.3)
    assert not _gone(pid)
    # no poll any more (the tab was closed): it stops after the grace period
    assert _wait_gone(pid, 10 * guarded.job_grace)


def test_a_job_stops_on_sigterm_whatever_handler_its_server_set(
    guarded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a web worker's own SIGTERM handler (gunicorn's keeps running): inherited by a fork
    previous = signal.signal(signal.SIGTERM, lambda *a: None)
    try:
        _, _, pid = _start_slow_job(replace(guarded, job_grace=600.0), monkeypatch)
    finally:
        signal.signal(signal.SIGTERM, previous)
    time.sleep(0.5)  # let the job install its guard
    os.kill(pid, signal.SIGTERM)
    assert _wait_gone(pid, 10)


_SERVER = """
import sys, time
from pathlib import Path
from awa import create_app, query
from awa.settings import Settings
from tests.test_background import _job_body, _start

def slow(*args, **kwargs):
    time.sleep(120)

query.et_histogram = slow
settings = Settings(data_dir=Path(sys.argv[1]), cache_type="simple",
                    background_dir=Path(sys.argv[2]),
                    background_events=1, job_grace=600.0)
app = create_app(settings)
handles = _start(app.server.test_client(), _job_body(app, {"search": sys.argv[3], "seq": 1}))
print(handles["job"].split("~")[0], flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_job_never_outlives_its_server(
    three_days: SimulatedStores, tmp_path: Path, how: signal.Signals
) -> None:
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent(_SERVER))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, str(script), str(three_days.folder), str(tmp_path / "jobs"), LONG],
        stdout=subprocess.PIPE, env=env, cwd=str(ROOT),
    )  # fmt: skip
    try:
        assert server.stdout is not None
        pid = int(server.stdout.readline())
        time.sleep(0.5)
        assert not _gone(pid)
        server.send_signal(how)
        server.wait(10)
        assert _wait_gone(pid, 10), "the job outlived its server"
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
        for p in _children_named(tmp_path):
            os.kill(p, signal.SIGKILL)


def _children_named(folder: Path) -> list[int]:
    """Processes still running with ``folder`` on their command line (clean-up only)."""
    import psutil

    out = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        if str(folder) in " ".join(p.info.get("cmdline") or []):
            out.append(int(p.info["pid"]))
    return out





# ---------------------------------------------------------------------------------------
# The events CSV beyond its row limit
# ---------------------------------------------------------------------------------------


def test_a_too_large_events_csv_is_refused_before_streaming(three_days: SimulatedStores) -> None:
    folder = three_days.folder
    rows = query.count_rows(folder, parse_time_ranges("1986-039-0000:0600"))
    settings = Settings(data_dir=folder, cache_type="null", events_csv_max_rows=rows - 1)
    client = create_app(settings).server.test_client()
    r = client.get("/download/events.csv?t=1986-039-0000:0600&L=3,8")
    assert r.status_code == 413
    text = r.get_data(as_text=True)
    assert f"would hold up to {rows:,} events" in text
    assert f"more than the {rows - 1:,} an events download may hold" in text
    url = "http://localhost/download/et.csv?t=1986-039-0000:1986-039-0600&L=3,8"
    assert f"Download the E-T histogram CSV instead: {url} ," in text
    assert r.headers["Content-Type"].startswith("text/plain")
    # the offered histogram downloads
    assert client.get(url.removeprefix("http://localhost")).status_code == 200
    # at the limit, the events stream
    ok = create_app(replace(settings, events_csv_max_rows=rows)).server.test_client()
    r = ok.get("/download/events.csv?t=1986-039-0000:0600")
    assert r.status_code == 200
    assert r.get_data(as_text=True).count("\n") > 10


# ---------------------------------------------------------------------------------------
# Jobs forked by the launcher, not by a threaded server
# ---------------------------------------------------------------------------------------


def _named(pid: int, name: str, timeout: float = 10.0) -> bool:
    """True once process ``pid`` has named itself ``name`` (it does so as it starts)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if psutil.Process(pid).name() == name:
            return True
        time.sleep(0.05)
    return False


def test_jobs_start_from_the_launcher_while_threads_read_the_stores(
    three_days: SimulatedStores, tmp_path: Path
) -> None:
    """A threaded server reading HDF5 in other threads starts jobs that all finish.

    Forking the server itself while another thread is inside the HDF5 library can give the
    job a lock that is never released (it then hangs for ever); the jobs are forked by the
    launcher instead, a process forked when the app was built, before any thread ran.
    """
    import threading

    import psutil

    from awa.jobs import JOB_NAME, LAUNCHER_NAME
    from tests.test_background import _check_long_answer, _wait

    settings = Settings(
        data_dir=three_days.folder, cache_type="null", background_dir=tmp_path / "jobs",
        background_events=1, job_grace=600.0,
    )  # fmt: skip
    app = create_app(settings)
    launcher = app.server.extensions["awa_background"]._launcher
    assert launcher is not None
    assert _named(launcher.pid, LAUNCHER_NAME.decode())
    assert psutil.Process(launcher.pid).ppid() == os.getpid()

    stop = threading.Event()
    day = Selection(times=parse_time_ranges("1986-039"))
    key = query.store_key(three_days.folder)
    reads = [0]

    def read_stores() -> None:  # other request threads, inside HDF5 most of the time
        while not stop.is_set():
            query.et_histogram.uncached(key, day, 8.0)  # type: ignore[attr-defined]
            reads[0] += 1

    threads = [threading.Thread(target=read_stores, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        client = app.server.test_client()
        for seq in range(8):
            body = _job_body(app, {"search": LONG, "seq": seq + 1})
            handles = _start(client, body)
            pid = int(handles["job"].split("~")[0])
            with_parent = psutil.Process(pid)
            assert with_parent.ppid() == launcher.pid  # not forked from this process
            assert _named(pid, JOB_NAME.decode())
            answer = _wait(client, body, handles, timeout=120)
            _check_long_answer(answer, settings)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert reads[0] > 0


def test_a_job_logs_its_start_and_end_as_json_lines(caplog: pytest.LogCaptureFixture) -> None:
    import json as json_mod

    import psutil

    from awa.jobs import _set_name, guard_job, server_identity

    name = psutil.Process().name()  # the job names its process; this one is restored

    class NoBeats:  # a job folder without heartbeats: the watchdog never stops the job
        def get(self, key: str) -> None:
            return None

    ran: list[str] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with caplog.at_level("INFO", logger="awa.job"):
            guard_job(lambda key, *a: ran.append(key), NoBeats(), 600.0, server_identity(), "k1")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _set_name(name.encode())
    assert ran == ["k1"]
    lines = [json_mod.loads(r.getMessage()) for r in caplog.records if r.name == "awa.job"]
    assert [line["event"] for line in lines] == ["job_start", "job_end"]
    assert {line["job"] for line in lines} == {str(os.getpid())}
    assert lines[1]["seconds"] >= 0
