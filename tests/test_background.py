"""Long requests: day-by-day histograms with progress, and the background-callback managers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dash
import numpy as np
import pytest
from dash.exceptions import PreventUpdate

from awa import background, create_app, query
from awa.model import Selection, TimeRange, parse_params, parse_time_ranges
from awa.pages import explore
from awa.query import scan
from awa.settings import Settings, SettingsError
from tests.builtstore import CONFIG, SimulatedStores, build_folder
from tests.redisserver import CeleryWorker, RedisServer, start_celery_worker, start_redis


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """Three days, 1986-02-07 to 1986-02-10, through the build pipeline, one ion a spin."""
    folder = tmp_path_factory.mktemp("three_days")
    quiet = replace(CONFIG, mean_events_per_spin=1.0)
    return build_folder(folder, datetime(1986, 2, 7).date(), days=3, seed=3, config=quiet)


def _t(text: str) -> tuple[TimeRange, ...]:
    return parse_time_ranges(text)


# ---------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------


def test_day_pieces_cut_at_midnight_and_cover_the_ranges() -> None:
    times = _t("1986-038-1200:1986-040-0600; 1986-041-0100:0200")
    pieces = background.day_pieces(times)
    assert pieces == (
        TimeRange(datetime(1986, 2, 7, 12), datetime(1986, 2, 8)),
        TimeRange(datetime(1986, 2, 8), datetime(1986, 2, 9)),
        TimeRange(datetime(1986, 2, 9), datetime(1986, 2, 9, 6)),
        TimeRange(datetime(1986, 2, 10, 1), datetime(1986, 2, 10, 2)),
    )
    assert sum(p.seconds for p in pieces) == sum(r.seconds for r in times)
    assert background.day_pieces(()) == ()
    whole_day = _t("1986-039")
    assert background.day_pieces(whole_day) == whole_day


def test_long_means_costly_in_events_or_ranges_not_days(three_days: SimulatedStores) -> None:
    """The route follows the estimated cost: events (hour index) and ranges, not days."""
    folder = three_days.folder
    day = _t("1986-039")
    per_day = max(query.count_rows(folder, _t(d)) for d in ("1986-038", "1986-039", "1986-040"))
    assert per_day > 0
    settings = Settings(data_dir=folder, background_events=per_day, background_ranges=3)
    assert query.estimate_cost(folder, day) == query.Cost(query.count_rows(folder, day), 1)
    assert not background.is_long(Selection(times=day), settings)
    # a tenth of a day more: more events than the setting, whatever the days
    assert background.is_long(Selection(times=_t("1986-039-0000:1986-040-0300")), settings)
    # one day of events in a ten-day span (the store starts on day 038): still short
    empty = _t("1986-029-0000:1986-039-0000")
    assert background.selection_days(Selection(times=empty)) == 10
    assert not background.is_long(Selection(times=empty), settings)
    # four short ranges: few events, but more ranges than the setting
    four = _t("1986-039-0100:0110; 1986-039-0200:0210; 1986-039-0300:0310; 1986-039-0400:0410")
    assert len(four) == 4
    reason = background.long_reason(Selection(times=four), settings)
    assert reason == "4 time ranges (more than 3)"
    assert not background.is_long(Selection(), settings)
    assert not background.is_long(Selection(times=day), Settings(data_dir=folder / "none"))
    assert background.selection_days(Selection(times=_t("1986-039-0000:1200"))) == 0.5


# ---------------------------------------------------------------------------------------
# Day-by-day histograms are exact
# ---------------------------------------------------------------------------------------

SELECTIONS = {
    "plain": dict(t="1986-038-0600:1986-040-1800"),
    "filters": dict(t="1986-038-0000:1986-041-0000", L="3,8", ssd="0,1,2", mlt="2000-0600"),
    "rates": dict(t="1986-038-1000:1986-040-2200", brdcr="1", sweep="DCR,30,10", kp="0,6"),
}


def days_done(seen: list[tuple[int, int]]) -> Any:
    """A progress callback recording (pieces done, pieces in all)."""
    return lambda step: seen.append((step.pieces_done, step.pieces_total))


@pytest.mark.parametrize("name", SELECTIONS)
def test_summed_days_equal_the_whole_histogram(name: str, three_days: SimulatedStores) -> None:
    key = query.store_key(three_days.folder)
    sel = parse_params(SELECTIONS[name])[0].selection
    reports: list[query.Step] = []

    whole = query.et_histogram(key, sel, 16, chunk_rows=5000)
    by_day = query.et_histogram(key, sel, 16, chunk_rows=5000, progress=reports.append)
    assert whole.n_selected > 0
    np.testing.assert_array_equal(by_day.counts, whole.counts)
    assert (by_day.n_selected, by_day.n_shown) == (whole.n_selected, whole.n_shown)
    assert [(r.pieces_done, r.pieces_total) for r in reports] == [(i, 3) for i in (0, 1, 2, 3)]
    assert [r.ranges_done for r in reports] == [0, 0, 0, 1]  # one range, done at its end
    assert reports[-1].events == whole.n_selected
    assert [r.events for r in reports] == sorted(r.events for r in reports)

    args = (key, sel, 0.05, 0.05, (0.5, 60.0), (0.5, 60.0))
    for norm in (False, True):
        whole_m = query.mmq_histogram(*args, normalise=norm)
        days: list[tuple[int, int]] = []
        days_m = query.mmq_histogram(*args, normalise=norm, progress=days_done(days))
        assert days == [(i, 3) for i in (0, 1, 2, 3)]
        np.testing.assert_allclose(days_m.counts, whole_m.counts, rtol=1e-12, atol=0)
        assert days_m.n_shown == whole_m.n_shown
        assert days_m.weighted is norm


def test_many_days_are_drawn_in_groups_and_still_equal_the_whole(
    three_days: SimulatedStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from awa.query import pieces as pieces_module

    monkeypatch.setattr(pieces_module, "MAX_DRAWS", 2)
    key = query.store_key(three_days.folder)
    sel = parse_params(SELECTIONS["filters"])[0].selection
    drawn: list[tuple[TimeRange, ...]] = []
    real = query.et_histogram.uncached

    def spy(key: Any, sel: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(sel.times)
        return real(key, sel, *args, **kwargs)

    reports: list[query.Step] = []
    whole = real(key, sel, 16)
    grouped = pieces_module.by_pieces(spy, key, sel, None, reports.append, bin_width=16)
    np.testing.assert_array_equal(grouped.counts, whole.counts)
    assert (grouped.n_selected, grouped.n_shown) == (whole.n_selected, whole.n_shown)
    # three whole days in draws of at most two days; progress still counts days
    assert [(r.pieces_done, r.pieces_total) for r in reports] == [(0, 3), (2, 3), (3, 3)]
    assert [len(t) for t in drawn] == [1, 1]
    assert drawn[0][0].end - drawn[0][0].start == timedelta(days=2)
    # a group joins the pieces of one range into one range, and may hold several ranges
    two = (TimeRange(datetime(1986, 2, 7), datetime(1986, 2, 8, 12)),
           TimeRange(datetime(1986, 2, 9), datetime(1986, 2, 10)))  # fmt: skip
    groups = pieces_module._grouped(pieces_module._numbered_pieces(two), 1)
    assert groups == [(1, [two[0], two[1]], 3)]
    groups = pieces_module._grouped(pieces_module._numbered_pieces(two), 2)
    assert [(r, len(t), n) for r, t, n in groups] == [(0, 1, 2), (1, 1, 1)]


def test_many_short_ranges_are_drawn_together_and_equal_the_whole(
    three_days: SimulatedStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from awa.query import pieces as pieces_module

    monkeypatch.setattr(pieces_module, "MAX_DRAWS", 4)
    key = query.store_key(three_days.folder)
    # 30 ranges of 20 minutes, every 2 hours, across the three days
    text = ";".join(
        f"1986-{38 + h // 24:03d}-{h % 24:02d}00:1986-{38 + h // 24:03d}-{h % 24:02d}20"
        for h in range(0, 60, 2)
    )
    sel = replace(parse_params({"t": text})[0].selection)
    assert len(sel.times) == 30
    drawn: list[int] = []
    real = query.et_histogram.uncached

    def spy(key: Any, sel: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(len(sel.times))
        return real(key, sel, *args, **kwargs)

    reports: list[query.Step] = []
    whole = real(key, sel, 16)
    grouped = pieces_module.by_pieces(spy, key, sel, None, reports.append, bin_width=16)
    np.testing.assert_array_equal(grouped.counts, whole.counts)
    assert (grouped.n_selected, grouped.n_shown) == (whole.n_selected, whole.n_shown) != (0, 0)
    assert drawn == [8, 8, 8, 6]
    assert [(r.ranges_done, r.pieces_done) for r in reports] == [
        (0, 0), (8, 8), (16, 16), (24, 24), (30, 30)
    ]


def test_the_row_limit_applies_to_the_whole_selection(three_days: SimulatedStores) -> None:
    key = query.store_key(three_days.folder)
    sel = Selection(times=_t("1986-038:1986-041"))
    per_day = max(
        query.count_rows(three_days.folder, (p,)) for p in background.day_pieces(sel.times)
    )
    limit = per_day + 1  # every day fits, the three days do not
    with pytest.raises(query.SelectionTooLargeError, match="choose a shorter time range"):
        query.et_histogram(key, sel, 16, max_rows=limit, progress=lambda step: None)


def test_sum_histograms_checks_the_grid(three_days: SimulatedStores) -> None:
    key = query.store_key(three_days.folder)
    sel = Selection(times=_t("1986-039-0000:0100"))
    with pytest.raises(ValueError, match="share bin edges"):
        background.sum_histograms(
            [query.et_histogram(key, sel, 16), query.et_histogram(key, sel, 32)]
        )
    with pytest.raises(ValueError, match="no histograms"):
        background.sum_histograms([])


def test_progress_scope_splits_the_histograms_of_a_view(three_days: SimulatedStores) -> None:
    from awa import views

    settings = Settings(data_dir=three_days.folder, cache_type="null")
    state = parse_params({"t": "1986-038-1200:1986-040-1200", "etbin": "32"})[0]
    reports: list[tuple[str, int, int]] = []
    with background.progress_scope(lambda w, s: reports.append((w, s.pieces_done, s.pieces_total))):
        et = views.et_view(settings, state)
        mmq = views.mmq_view(settings, state)
        # other queries pass through untouched
        sample = query.select_events(query.store_key(three_days.folder), state.selection, 10)
    assert reports == [("E-T", d, 3) for d in (0, 1, 2, 3)] + [
        ("M-M/Q", d, 3) for d in (0, 1, 2, 3)
    ]
    assert not sample.complete
    plain_et = views.et_view(settings, state)
    assert et.caption == plain_et.caption
    np.testing.assert_array_equal(et.figure.data[0].z, plain_et.figure.data[0].z)
    assert mmq.caption == views.mmq_view(settings, state).caption


def test_progress_text_counts_ranges_as_ranges() -> None:
    step = query.Step
    assert (background.progress_text("E-T", step(3, 500, 3, 500, 1_234_567))
            == "E-T histogram: 3 of 500 ranges, 1.2 M events selected")  # fmt: skip
    assert (background.progress_text("M-M/Q", step(0, 1, 4, 10, 950))
            == "M-M/Q histogram: 0 of 1 range (4 of 10 days), 950 events selected")  # fmt: skip
    assert (background.progress_text("E-T", step(2, 3, 5, 7, 123_456))
            == "E-T histogram: 2 of 3 ranges (5 of 7 one-day pieces), 123.5 k events "
               "selected")  # fmt: skip
    assert background.progress_text("E-T", step(0, 200, 0, 200, 0)).startswith(
        "E-T histogram: 0 of 200 ranges"
    )


def test_progress_does_not_depend_on_the_histogram_names(
    three_days: SimulatedStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view passes its progress callback down; renaming or wrapping a query is safe."""
    from awa import views

    real_et, real_mmq = query.et_histogram, query.mmq_histogram

    def renamed_et(*args: Any, **kwargs: Any) -> Any:
        return real_et(*args, **kwargs)

    def renamed_mmq(*args: Any, **kwargs: Any) -> Any:
        return real_mmq(*args, **kwargs)

    monkeypatch.setattr(query, "et_histogram", renamed_et)
    monkeypatch.setattr(query, "mmq_histogram", renamed_mmq)
    settings = Settings(data_dir=three_days.folder, cache_type="null")
    state = parse_params({"t": "1986-038-1200:1986-040-1200", "etbin": "32"})[0]
    reports: list[tuple[str, int, int]] = []
    with background.progress_scope(lambda w, s: reports.append((w, s.pieces_done, s.pieces_total))):
        views.et_view(settings, state)
        views.mmq_view(settings, state)
    assert reports == [("E-T", d, 3) for d in (0, 1, 2, 3)] + [
        ("M-M/Q", d, 3) for d in (0, 1, 2, 3)
    ]


# ---------------------------------------------------------------------------------------
# Managers
# ---------------------------------------------------------------------------------------


def test_diskcache_manager_by_default(tmp_path: Path) -> None:
    from dash import DiskcacheManager

    manager = background.make_manager(Settings(background_dir=tmp_path / "jobs"))
    assert isinstance(manager, DiskcacheManager)
    assert Path(manager.handle.directory) == tmp_path / "jobs"
    with pytest.raises(TypeError, match="set AWA_REDIS_URL"):
        background.celery_of(manager)
    assert background.default_background_dir().name.startswith("awa-background-")


def test_celery_manager_when_redis_is_set() -> None:
    from dash import CeleryManager

    url = "redis://127.0.0.1:1/0"  # not contacted until a job runs
    settings = Settings(cache_type="redis", redis_url=url, cache_timeout=600)
    manager = background.make_manager(settings)
    assert isinstance(manager, CeleryManager)
    app = background.celery_of(manager)
    assert app.conf.broker_url == url
    assert app.conf.result_backend == url
    assert app.conf.result_expires == 600
    with pytest.raises(SettingsError, match="need AWA_REDIS_URL"):
        background.make_celery(Settings())


# ---------------------------------------------------------------------------------------
# The app: short selections are ordinary callbacks, long ones background jobs
# ---------------------------------------------------------------------------------------

LONG = "?t=1986-038-0000:1986-041-0000&etbin=32"
SHORT = "?t=1986-039-0200:0400&etbin=32"


def _split_outputs(key: str) -> Any:
    """The ``outputs`` the renderer sends: a list for several outputs, else one dict."""

    def one(part: str) -> dict[str, str]:
        return dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))

    return [one(p) for p in key[2:-2].split("...")] if key.startswith("..") else one(key)


def _post(client: Any, body: dict[str, Any], **params: str) -> Any:
    query_string = f"?{urlencode(params)}" if params else ""
    return client.post(f"/_dash-update-component{query_string}", json=body)


def _body(app: Any, key: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    assert key in app.callback_map
    return {
        "output": key,
        "outputs": _split_outputs(key),
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
        "state": [],
    }


def _job_body(app: Any, job: Any) -> dict[str, Any]:
    key = next(k for k, cb in app.callback_map.items() if cb.get("background"))
    return _body(app, key, [{"id": explore.JobIds.JOB, "property": "data", "value": job}])


def _start(client: Any, body: dict[str, Any]) -> dict[str, str]:
    response = _post(client, body)
    assert response.status_code == 200, response.data
    handles = json.loads(response.data)
    assert {"cacheKey", "job"} <= set(handles)
    return handles


def _wait(client: Any, body: dict[str, Any], handles: dict[str, str], timeout: float) -> Any:
    """Poll like the browser until the job answers; return its updates (empty: none)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = _post(client, body, cacheKey=handles["cacheKey"], job=handles["job"])
        if response.status_code == 204:
            return {}
        data = json.loads(response.data)
        if "response" in data:
            return data["response"]
        time.sleep(0.1)
    raise AssertionError(f"no answer from the background job in {timeout:.0f} s")


def _check_long_answer(answer: dict[str, Any], settings: Settings) -> None:
    """The background answer equals the figures drawn in one piece, outside any job."""
    from plotly.utils import PlotlyJSONEncoder

    sel = parse_params({"t": "1986-038-0000:1986-041-0000"})[0].selection
    whole = query.et_histogram(query.store_key(settings.data_dir), sel, 32)
    assert whole.n_selected > 0
    assert f"{whole.n_selected:,}" in answer["et-caption"]["children"]
    direct = explore.et_outputs(settings, LONG) + explore.mmq_outputs(settings, LONG)
    expected = json.loads(json.dumps(direct, cls=PlotlyJSONEncoder))
    assert answer["et-graph"]["figure"]["data"] == expected[0]["data"]
    assert answer["et-caption"]["children"] == expected[1]
    assert answer["mmq-graph"]["figure"]["data"] == expected[5]["data"]
    assert answer["mmq-caption"]["children"] == expected[6]


@pytest.fixture
def long_settings(three_days: SimulatedStores, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=three_days.folder,
        cache_type="simple",
        background_dir=tmp_path / "jobs",
        background_events=query.count_rows(three_days.folder, _t("1986-039")),
    )


def test_short_selections_stay_ordinary_callbacks(long_settings: Settings) -> None:
    assert explore.job_of(long_settings, SHORT, None) is dash.no_update
    assert explore.job_of(long_settings, LONG, None) == {"search": LONG, "seq": 1}
    assert explore.job_of(long_settings, LONG, {"search": LONG, "seq": 1})["seq"] == 2
    app = create_app(long_settings)
    client = app.server.test_client()
    et_key = next(k for k in app.callback_map if k.startswith("..et-graph.figure..."))
    url_input = [{"id": "url", "property": "search", "value": SHORT}]
    response = _post(client, _body(app, et_key, url_input))
    assert response.status_code == 200
    assert "events of" in json.loads(response.data)["response"]["et-caption"]["children"]
    url_input[0]["value"] = LONG  # left to the background callback: no update here
    response = _post(client, _body(app, et_key, url_input))
    assert response.status_code == 204 or json.loads(response.data)["response"] == {}


def test_long_outputs_report_days(long_settings: Settings) -> None:
    app = create_app(long_settings)
    seen: list[Any] = []
    out = explore.long_outputs(app.server, long_settings, seen.append, {"search": LONG})
    texts = [s[2].split(",")[0] for s in seen]
    assert texts[:4] == [f"E-T histogram: {d // 3} of 1 range ({d} of 3 days)" for d in range(4)]
    assert texts[4:] == [
        f"M-M/Q histogram: {d // 3} of 1 range ({d} of 3 days)" for d in range(4)
    ]
    assert all(s[2].endswith(" events selected") for s in seen)
    assert [s[:2] for s in seen[:2]] == [("0", "3"), ("1", "3")]
    assert len(out) == len(explore.et_outputs(long_settings, LONG)) + len(
        explore.mmq_outputs(long_settings, LONG)
    )
    with pytest.raises(PreventUpdate):
        explore.long_outputs(app.server, long_settings, seen.append, None)


def test_long_selection_runs_with_the_diskcache_manager(
    long_settings: Settings, three_days: SimulatedStores
) -> None:
    app = create_app(long_settings)
    client = app.server.test_client()
    body = _job_body(app, {"search": LONG, "seq": 1})
    handles = _start(client, body)
    answer = _wait(client, body, handles, timeout=30)
    _check_long_answer(answer, long_settings)
    assert any((long_settings.background_dir or Path("/nonexistent")).iterdir())


def test_cancel_stops_a_diskcache_job(
    long_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(30)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(query, "et_histogram", slow)  # inherited by the job
    app = create_app(long_settings)
    client = app.server.test_client()
    body = _job_body(app, {"search": LONG, "seq": 1})
    handles = _start(client, body)
    pid = int(handles["job"].split("~")[0])
    assert psutil.pid_exists(pid)
    cancel = _body(
        app, "long-cancel.id", [{"id": "long-cancel", "property": "n_clicks", "value": 1}]
    )
    assert _post(client, cancel, cancelJob=handles["job"]).status_code in (200, 204)
    assert _wait(client, body, handles, timeout=10) == {}  # cancelled: no update
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


# ---------------------------------------------------------------------------------------
# Celery with Redis: the work runs in another process (could be another host)
# ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_and_worker(
    tmp_path: Path, three_days: SimulatedStores
) -> Iterator[tuple[RedisServer, CeleryWorker, dict[str, str]]]:
    server = start_redis(tmp_path / "redis")
    env = {
        "AWA_DATA_DIR": str(three_days.folder),
        "AWA_REDIS_URL": server.url,
        "AWA_BACKGROUND_EVENTS": str(query.count_rows(three_days.folder, _t("1986-039"))),
    }
    try:
        worker = start_celery_worker("awa.worker", env, tmp_path / "worker")
    except Exception:
        server.stop()
        raise
    yield server, worker, env
    worker.stop()
    server.stop()


@pytest.mark.redis
def test_long_selection_runs_in_a_celery_worker(
    redis_and_worker: tuple[RedisServer, CeleryWorker, dict[str, str]],
    three_days: SimulatedStores,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dash import CeleryManager

    server, worker, env = redis_and_worker
    settings = Settings.from_env(env)  # the web side: same variables as the worker
    app = create_app(settings)
    assert isinstance(app.server.extensions["awa_background"], CeleryManager)
    client = app.server.test_client()
    body = _job_body(app, {"search": LONG, "seq": 1})
    handles = _start(client, body)
    answer = _wait(client, body, handles, timeout=40)
    assert answer, worker.log()
    _check_long_answer(answer, settings)
    assert "succeeded" in worker.log()
    # the worker filled the shared Redis cache: this process reads the days back
    calls: list[int] = []
    real = query.iter_events

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "iter_events", counting)
    sel = parse_params({"t": "1986-039-0000:1986-040-0000"})[0].selection
    with app.server.app_context():
        day = query.et_histogram(
            query.store_key(three_days.folder), sel, 32, max_rows=settings.max_rows,
            chunk_rows=settings.chunk_rows,
        )  # fmt: skip
    assert calls == []
    assert day.n_selected > 0
