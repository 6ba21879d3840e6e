"""Long histograms fanned out over Celery workers (awa.fanout): chunks, payloads, exact sums.

The ``redis`` test starts a real ``redis-server`` and two real ``celery -A awa.worker
worker`` processes on 127.0.0.1 (the session store as their ``AWA_DATA_DIR``) and checks
that the fanned-out histogram equals the one-process histogram exactly and that both
workers drew chunks.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from awa import background, fanout, query
from awa.model import Selection, TimeRange
from awa.model.selection import SweepLimit
from awa.query.pieces import Step
from awa.settings import Settings
from tests.builtstore import DAY, SimulatedStores
from tests.redisserver import start_celery_worker, start_redis

T0 = dt.datetime.combine(DAY, dt.time())
WHOLE_DAY = TimeRange(T0, T0 + dt.timedelta(days=1))


def _same(a: query.Hist2D, b: query.Hist2D) -> None:
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(a.x_edges, b.x_edges)
    assert np.array_equal(a.y_edges, b.y_edges)
    assert (a.n_selected, a.n_shown, a.weighted) == (b.n_selected, b.n_shown, b.weighted)


def test_chunks_cover_the_selection_exactly_on_aligned_bounds() -> None:
    times = (
        TimeRange(dt.datetime(1986, 2, 1, 5, 30), dt.datetime(1986, 2, 3, 1)),
        TimeRange(dt.datetime(1986, 2, 10), dt.datetime(1986, 2, 10, 7)),
    )
    plan = fanout.plan_chunks(times, chunk_seconds=6 * 3600)
    starts = [c.start for c in plan.chunks]
    assert plan.chunks[0].start == times[0].start
    assert plan.chunks[-1].end == times[-1].end
    assert sum(c.seconds for c in plan.chunks) == sum(r.seconds for r in times)
    for a, b in zip(plan.chunks, plan.chunks[1:], strict=False):
        assert a.end <= b.start
    assert all(s.hour % 6 == 0 and s.minute == 0 for s in starts[1:])
    assert plan.days == (1,) * len(plan.chunks)
    # default: whole UTC days, at most max_chunks of them
    year = (TimeRange(dt.datetime(1986, 1, 1), dt.datetime(1987, 1, 1)),)
    plan = fanout.plan_chunks(year, max_chunks=64)
    assert len(plan.chunks) <= 64
    assert sum(plan.days) == 365
    assert all(c.start.time() == dt.time() for c in plan.chunks)
    with pytest.raises(ValueError, match="chunk length"):
        fanout.plan_chunks(year, chunk_seconds=0)


def test_selection_survives_the_json_payload() -> None:
    sel = Selection(
        times=(WHOLE_DAY, TimeRange(T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=4))),
        l_range=(3.0, math.inf),
        mlt_range=(22.0, 2.0),
        kp_range=(4.0, 9.0),
        ssd_ids=(1, 2),
        triples_only=False,
        max_br1=12.5,
        sweep=SweepLimit("DCR", 5000.0, 12),
    )
    import json

    back = fanout.decode_selection(json.loads(json.dumps(fanout.encode_selection(sel))))
    assert back == sel
    assert hash(back) == hash(sel)


def test_histogram_survives_the_json_payload(sim_store: SimulatedStores) -> None:
    key = query.store_key(sim_store.folder)
    h = query.et_histogram(key, Selection(times=(WHOLE_DAY,)), 8.0)
    assert h.n_shown > 0
    _same(fanout.decode_hist(fanout.encode_hist(h)), h)


def test_hook_outside_a_worker_is_the_plain_query(sim_store: SimulatedStores) -> None:
    key = query.store_key(sim_store.folder)
    sel = Selection(times=(TimeRange(T0 - dt.timedelta(hours=3), T0 + dt.timedelta(days=1)),))
    _same(
        fanout.histogram(query.et_histogram, "E-T", key, sel, 8.0),
        query.et_histogram(key, sel, 8.0),
    )


def test_a_worker_with_other_stores_refuses_its_chunk(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    key = query.store_key(sim_store.folder)
    sel = Selection(times=(WHOLE_DAY,))
    payload = fanout._payload("et", key, sel, ((8.0,), {}), 0, "job", None)
    with pytest.raises(fanout.FanOutError, match="differ from the caller"):
        fanout.draw_chunk(payload, str(tmp_path))
    with pytest.raises(fanout.FanOutError, match="unknown histogram kind"):
        fanout.draw_chunk({**payload, "kind": "xx"}, str(sim_store.folder))


@pytest.mark.redis
@pytest.mark.timeout(240)
# Dash keeps every background callback ever registered in a class-level list and registers
# them all with each new Celery app: after other tests built apps in this process, the
# same task names come with other callables.  One server process builds one app.
@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
def test_two_celery_workers_draw_the_exact_histogram(
    sim_store: SimulatedStores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from awa.background import make_celery

    server = start_redis(tmp_path / "redis")
    workers = []
    app = make_celery(Settings(data_dir=sim_store.folder, redis_url=server.url))
    try:
        key = query.store_key(sim_store.folder)
        sel = Selection(times=(WHOLE_DAY,))
        plan = fanout.plan_chunks(sel.times, chunk_seconds=3600)
        assert len(plan.chunks) == 24
        want_et = query.et_histogram(key, sel, 8.0)
        mmq_args = (0.02, 0.02, (0.5, 60.0), (0.5, 60.0))
        want_mmq = query.mmq_histogram(key, sel, *mmq_args)
        assert want_et.n_shown > 1000

        # No worker running: the caller claims and draws every chunk itself.
        alone: list[dict] = []
        got = fanout.fan_out(app, "et", key, sel, (8.0,), plan=plan, chunk_log=alone,
                             poll=0.01)  # fmt: skip
        _same(got, want_et)
        assert {e["host"] for e in alone} == {f"caller@{__import__('socket').gethostname()}"}

        env = {"AWA_REDIS_URL": server.url, "AWA_DATA_DIR": str(sim_store.folder),
               "AWA_CACHE_TYPE": "null"}  # fmt: skip
        for name in ("awa-a", "awa-b"):
            workers.append(start_celery_worker("awa.worker", env, tmp_path / name, name=name))

        for kind, args, want in (("et", (8.0,), want_et), ("mmq", mmq_args, want_mmq)):
            log: list[dict] = []
            steps: list[Step] = []
            got = fanout.fan_out(
                app, kind, key, sel, args, plan=plan, local=False, chunk_log=log,
                progress=steps.append, stall_seconds=120,
            )  # fmt: skip
            _same(got, want)
            assert sorted(e["index"] for e in log) == list(range(24))
            hosts = {e["host"].split("-")[1] for e in log}
            assert hosts == {"a", "b"}, log
            assert (steps[-1].pieces_done, steps[-1].pieces_total) == (24, 24)
            assert (steps[-1].ranges_done, steps[-1].ranges_total) == (1, 1)
            assert steps[-1].events == want.n_selected
            done = [s.pieces_done for s in steps]
            assert done == sorted(done)

        # The views' hook inside a worker task: a two-day selection goes to fan_out.
        fake = SimpleNamespace(app=app, request=SimpleNamespace(id="job-1", called_directly=False))
        monkeypatch.setattr(fanout, "_current_task", lambda: fake)
        two = Selection(times=(TimeRange(T0 - dt.timedelta(days=1), WHOLE_DAY.end),))
        reports: list[tuple[str, Step]] = []
        with background.progress_scope(lambda *r: reports.append(r)):
            got = fanout.histogram(query.et_histogram, "E-T", key, two, 8.0)
        _same(got, query.et_histogram(key, two, 8.0))
        label, last = reports[-1]
        assert label == "E-T"
        assert (last.pieces_done, last.pieces_total, last.ranges_done) == (2, 2, 1)

        # Cancel: the caller stops at the first progress report; the rest is revoked.
        class Stop(Exception):
            pass

        def stop(step: Step) -> None:
            raise Stop

        with pytest.raises(Stop):
            fanout.fan_out(app, "mmq", key, sel, mmq_args, plan=plan, local=False,
                           progress=stop)  # fmt: skip
        revoked = app.control.inspect(timeout=5).revoked() or {}
        assert sum(len(v) for v in revoked.values()) >= 2, revoked
    finally:
        for w in workers:
            w.stop()
        app.close()
        server.stop()
