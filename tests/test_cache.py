"""Result cache: keys are the canonical typed filter; backends shared between app instances."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awa import create_app, query
from awa.cache import UncacheableArgumentError, canonical, memo_key
from awa.model import Selection, TimeRange, parse_params
from awa.query import scan
from awa.settings import Settings
from tests.builtstore import SimulatedStores
from tests.redisserver import ROOT, RedisServer, free_port, start_redis


def _sel(**raw: str) -> Selection:
    return parse_params(raw)[0].selection


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the event scans of the query layer (one per uncached histogram).

    Only the store path calls ``iter_events``: the tests that count use the store folder
    without the column sidecar (``fallback_settings``, ``sim_store_no_sidecar``).
    """
    seen: list[int] = []
    real = query.iter_events

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "iter_events", counting)
    return seen


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------


def test_canonical_forms_of_equal_typed_values_agree() -> None:
    assert canonical((2, 10)) == canonical((2.0, 10.0))
    assert canonical(np.float32(0.5)) == canonical(0.5)
    assert canonical(True) != canonical(1)
    assert canonical(None) != canonical(0)
    t = TimeRange(datetime(1986, 2, 8), datetime(1986, 2, 9))
    assert canonical(t) == canonical(TimeRange(datetime(1986, 2, 8), datetime(1986, 2, 9)))
    assert canonical(Selection(l_range=(2, 10))) == canonical(Selection())
    assert canonical(Selection(l_range=(3.0, 10.0))) != canonical(Selection())
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})
    with pytest.raises(UncacheableArgumentError, match="ndarray"):
        canonical(np.arange(3))
    with pytest.raises(UncacheableArgumentError, match="object"):
        canonical(object())


def test_key_is_the_parsed_filter_not_the_raw_text(tmp_path: Path) -> None:
    key = query.StoreKey(str(tmp_path), ())
    a = _sel(t="1986-039-0200:0300", L="2,10", ssd="0,1", mlt="2200-0400")
    b = _sel(t="1986-02-08T02:00/1986-02-08T03:00", L="2 to 10.0", ssd="1 0", mlt="22:00-04:00")
    assert a == b
    k = memo_key(query.et_histogram, key, a, 16)
    assert k == memo_key(query.et_histogram, key, b, 16)
    # call spelling does not matter: keywords, defaults spelt out, 16 vs 16.0 bounds
    assert k == memo_key(query.et_histogram, key, sel=b, bin_width=16, x_range=(0, 1023))
    assert k == query.et_histogram.key(key, b, 16, max_rows=None)  # type: ignore[attr-defined]
    assert k.startswith("v1:awa.query.histograms.et_histogram:")
    # a different filter, bin, store version or function is another entry
    c = _sel(t="1986-039-0200:0300", L="2,9", ssd="0,1", mlt="2200-0400")
    assert memo_key(query.et_histogram, key, c, 16) != k
    assert memo_key(query.et_histogram, key, a, 8) != k
    newer = query.StoreKey(str(tmp_path), (("AMPTE_CHEM_nocal_pha.h5", 1, 2),))
    assert memo_key(query.et_histogram, newer, a, 16) != k
    assert memo_key(query.select_events, key, a, 16) != k


def test_two_spellings_share_one_cache_entry(fallback_settings: Settings, calls: list[int]) -> None:
    app = create_app(replace(fallback_settings, cache_type="simple"))
    key = query.store_key(fallback_settings.data_dir)
    # 07-09 UT: the orbit crosses L 3-8 (it stays near L 9 at 02-04 UT)
    a = _sel(t="1986-039-0700:0900", L="3,8")
    b = _sel(t="1986-02-08T07:00/1986-02-08T09:00", L="3.0 8")
    with app.server.app_context():
        first = query.et_histogram(key, a, 16)
        again = query.et_histogram(key, b, bin_width=16, x_range=(0, 1023))
        assert len(calls) == 1
        other = query.et_histogram(key, _sel(t="1986-039-0700:0900", L="3,9"), 16)
        assert len(calls) == 2
    np.testing.assert_array_equal(first.counts, again.counts)
    assert first.n_selected > 0
    assert other.n_selected >= first.n_selected


def test_filesystem_cache_is_shared_by_two_apps(
    fallback_settings: Settings, calls: list[int], tmp_path: Path
) -> None:
    settings = replace(fallback_settings, cache_type="filesystem", cache_dir=tmp_path / "c")
    key = query.store_key(fallback_settings.data_dir)
    sel = _sel(t="1986-039-0500:0700")
    with create_app(settings).server.app_context():
        first = query.mmq_histogram(key, sel, 0.05, 0.05, (0.5, 60.0), (0.5, 60.0))
    with create_app(settings).server.app_context():
        second = query.mmq_histogram(key, sel, 0.05, 0.05, (0.5, 60), (0.5, 60))
    assert len(calls) == 1
    np.testing.assert_array_equal(first.counts, second.counts)
    assert any((tmp_path / "c").iterdir())


def test_an_unreachable_redis_costs_speed_not_the_answer(
    fallback_settings: Settings, calls: list[int]
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = create_app(replace(fallback_settings, cache_type="redis", redis_url=url))
    key = query.store_key(fallback_settings.data_dir)
    sel = _sel(t="1986-039-0200:0300")
    with app.server.app_context():
        hist = query.et_histogram(key, sel, 32)
    assert len(calls) == 1
    np.testing.assert_array_equal(hist.counts, query.et_histogram(key, sel, 32).counts)


def test_a_progress_callback_is_not_part_of_the_key(
    fallback_settings: Settings, calls: list[int]
) -> None:
    app = create_app(replace(fallback_settings, cache_type="simple"))
    key = query.store_key(fallback_settings.data_dir)
    sel = _sel(t="1986-039-0200:0300")
    k = memo_key(query.et_histogram, key, sel, 32)
    assert k == memo_key(query.et_histogram, key, sel, 32, progress=None)
    seen: list[query.Step] = []
    other = _sel(t="1986-039-0300:0400")
    with app.server.app_context():
        first = query.et_histogram(key, sel, 32)
        assert len(calls) == 1
        # a call with progress shares the entry of the call without: answered from it
        again = query.et_histogram(key, sel, 32, progress=seen.append)
        assert len(calls) == 1
        assert seen == []
        np.testing.assert_array_equal(again.counts, first.counts)
        # and a call with progress fills the entry a plain call then reads
        drawn = query.et_histogram(key, other, 32, progress=seen.append)
        assert len(calls) == 2
        assert [(s.pieces_done, s.pieces_total) for s in seen] == [(0, 1), (1, 1)]
        assert query.et_histogram(key, other, 32).n_selected == drawn.n_selected
        assert len(calls) == 2


# ---------------------------------------------------------------------------------------
# Redis: one cache for several processes and hosts
# ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


_OTHER_PROCESS = """
import json, sys
from awa import create_app, query
from awa.model import parse_params
from awa.settings import Settings
settings = Settings.from_env()
app = create_app(settings)
sel = parse_params({"t": sys.argv[1], "L": sys.argv[2]})[0].selection
with app.server.app_context():
    h = query.et_histogram(query.store_key(settings.data_dir), sel, 16)
print(json.dumps({"n": h.n_selected, "sum": float(h.counts.sum())}))
"""


@pytest.mark.redis
def test_redis_cache_is_shared_by_apps_and_processes(
    redis_server: RedisServer, sim_store_no_sidecar: SimulatedStores, calls: list[int]
) -> None:
    folder = sim_store_no_sidecar.folder
    settings = Settings(data_dir=folder, cache_type="redis", redis_url=redis_server.url)
    key = query.store_key(folder)
    # another process fills the cache, spelling the filter its own way
    env = dict(os.environ, AWA_DATA_DIR=str(folder), AWA_REDIS_URL=redis_server.url)
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, "1986-02-08T01:00/1986-02-08T03:00", "2 to 10"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    sel = _sel(t="1986-039-0100:0300", L="2,10")
    with create_app(settings).server.app_context():
        mine = query.et_histogram(key, sel, 16)
    assert calls == []  # read from Redis, not computed here
    assert mine.n_selected == theirs["n"] > 0
    assert float(mine.counts.sum()) == theirs["sum"]
    # a second app instance in this process: shares entries both ways
    other = _sel(t="1986-039-0400:0500")
    with create_app(settings).server.app_context():
        query.mmq_histogram(key, other, 0.05, 0.05, (0.5, 60.0), (0.5, 60.0))
    with create_app(settings).server.app_context():
        query.mmq_histogram(key, other, 0.05, 0.05, (0.5, 60.0), (0.5, 60.0))
    assert len(calls) == 1
