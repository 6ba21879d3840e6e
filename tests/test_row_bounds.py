"""Row bounds of time ranges from the sidecar's runs equal those read from the PHA store.

``row_ranges`` finds a bound inside an hour from the sidecar's run times (a few hundred
values) instead of the hour's PHA rows; the rows must be the same for any time: hour
starts, spin starts, times between spins, before and after the data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from awa.chem import hour_index as hix
from awa.chem import schema
from awa.model import TimeRange
from awa.query import store
from tests.builtstore import SimulatedStores


def _times(table: object, n: int) -> list[datetime]:
    spins = np.unique(np.asarray(table.read(field="SpinStartTime"), dtype="datetime64[ns]"))  # type: ignore[attr-defined]
    rng = np.random.default_rng(11)
    picks = [spins[0], spins[-1], spins[len(spins) // 2]]
    picks += list(rng.choice(spins, n))  # exact spin starts
    picks += [s + np.timedelta64(int(rng.integers(1, 5_000)), "ms") for s in rng.choice(spins, n)]
    day = spins[0].astype("datetime64[D]")
    picks += [day + np.timedelta64(h, "h") for h in range(-2, 27)]  # hour starts, off the data
    return [datetime.fromisoformat(str(np.datetime64(p, "us"))) for p in picks]


def test_sidecar_bounds_equal_the_store_bounds(sim_store: SimulatedStores) -> None:
    table = store.get_table(str(sim_store.folder), schema.PHA_STORE)
    assert store._runs_search(table) is not None  # the sidecar path is taken
    index = store.hour_index(table)
    assert index is not None
    times = sorted(_times(table, 150))
    ranges = [TimeRange(a, b) for a, b in zip(times[:-1], times[1:], strict=True) if b > a]
    ranges += [TimeRange(t, t + timedelta(minutes=20)) for t in times]
    got = [
        hix.row_range(table, index, store.to_ns(r.start), store.to_ns(r.end),
                      store._runs_search(table))
        for r in ranges
    ]  # fmt: skip
    expect = [hix.row_range(table, index, store.to_ns(r.start), store.to_ns(r.end)) for r in ranges]
    assert got == expect
    assert sum(hi - lo for lo, hi in got) > 0
    assert store.row_ranges(table, tuple(ranges[:5])) == [
        (lo, hi) for lo, hi in expect[:5] if hi > lo
    ]


def test_without_a_sidecar_the_store_is_read(sim_store_no_sidecar: SimulatedStores) -> None:
    table = store.get_table(str(sim_store_no_sidecar.folder), schema.PHA_STORE)
    assert store._runs_search(table) is None
