"""Shared pieces of awa.query: one row limit, one rate join, one ME layout, one-way imports."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from awa import query
from awa.chem import schema
from awa.model import Selection, SweepLimit, parse_time_ranges
from awa.query.masks import RATE_JOIN, SidecarRates, StoreRates, join_rates
from tests.builtstore import SimulatedStores

#: The submodules of awa.query in dependency order: each imports only modules before it.
ORDER = (
    "results", "downsample", "store", "masks", "scan", "physics_bins", "kernels", "pieces",
    "histograms",
    "me", "timelines", "archive",
    "species",
)  # fmt: skip


def test_submodules_import_one_way() -> None:
    folder = Path(query.__file__).parent
    assert {p.stem for p in folder.glob("*.py")} == {"__init__", *ORDER}
    for i, name in enumerate(ORDER):
        tree = ast.parse((folder / f"{name}.py").read_text())
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                used.add(node.module)
            elif isinstance(node, ast.Import):
                used.update(a.name for a in node.names)
        inside = {m.removeprefix("awa.query.") for m in used if m.startswith("awa.query.")}
        assert "awa.query" not in used, f"{name} imports the package face"
        assert inside <= set(ORDER[:i]), f"{name} imports {inside - set(ORDER[:i])}"


def test_check_row_limit_messages() -> None:
    query.check_row_limit(10, None, "events")
    query.check_row_limit(10, 10, "events")
    with pytest.raises(query.SelectionTooLargeError) as info:
        query.check_row_limit(1_234, 1_000, "events", scans="one view scans")
    assert str(info.value) == (
        "the time range holds 1,234 events, more than the 1,000 one view scans; "
        "choose a shorter time range"
    )
    with pytest.raises(query.SelectionTooLargeError) as info:
        query.check_row_limit(11, 10, "cycles")
    assert str(info.value) == "the time range holds 11 cycles; choose a shorter time range"
    with pytest.raises(query.SelectionTooLargeError, match=r"range \(histogram downloads"):
        query.check_row_limit(11, 10, "PHA rows", scans="x", hint=" (histogram downloads)")


@pytest.fixture(scope="module")
def with_sidecar(sim_store: SimulatedStores) -> SimulatedStores:
    """The store built by the real pipeline, which always writes the sidecar."""
    assert (sim_store.folder / schema.COLUMNS_FILE).exists()
    return sim_store


@pytest.mark.parametrize(
    "sel",
    [
        Selection(),
        Selection(kp_range=(0.0, 3.0), rn_le_brn=True),
        Selection(sweep=SweepLimit("DCR", 15.0, 20), max_br1=3.0),
    ],
)
def test_one_rate_join_over_store_and_sidecar(
    with_sidecar: SimulatedStores, sel: Selection
) -> None:
    folder = str(with_sidecar.folder)
    side = query.get_sidecar(folder)
    assert side is not None
    pha = query.get_table(folder, schema.PHA_STORE)
    times = pha.read(0, min(pha.nrows, 20_000), field="SpinStartTime").astype(np.int64)
    # times of spins absent from the rates store are never joined
    times = np.sort(np.concatenate([times, times[:5] + 1]))
    store = StoreRates(query.get_table(folder, schema.RATES_STORE))
    ok_a, values_a = join_rates(store, times, sel, RATE_JOIN)
    ok_b, values_b = join_rates(SidecarRates(side), times, sel, RATE_JOIN)
    np.testing.assert_array_equal(ok_a, ok_b)
    for name in RATE_JOIN:
        np.testing.assert_array_equal(values_a[name], values_b[name])
    assert 0 < ok_a.sum() <= len(times) - 5
    assert np.isnan(values_a["DCR"]).sum() == 5
    empty_ok, empty = join_rates(store, times[:0], sel, ("DCR",))
    assert empty_ok.shape == (0,)
    assert empty["DCR"].shape == (0,)


def test_me_block_layout_places_every_element_once(with_sidecar: SimulatedStores) -> None:
    table = query.get_table(str(with_sidecar.folder), schema.ME_STORE)
    layout = query.me_block_layout(table)
    numbers = np.concatenate([where for _, where in layout])
    np.testing.assert_array_equal(np.sort(numbers), np.arange(schema.N_ME))
    rows = table.read(0, 3)
    for block, where in layout:
        for j, me in enumerate(where[:3]):
            np.testing.assert_array_equal(
                rows[block].reshape(3, -1)[:, j], with_sidecar.me[int(me)].to_numpy()[:3]
            )


def test_histograms_report_progress_themselves(with_sidecar: SimulatedStores) -> None:
    key = query.store_key(with_sidecar.folder)
    sel = Selection(times=parse_time_ranges("1986-039-0000:1986-039-0500"))
    seen: list[tuple[int, int]] = []

    def record(step: query.Step) -> None:
        seen.append((step.pieces_done, step.pieces_total))

    hist = query.et_histogram(key, sel, 32, progress=record)
    assert seen == [(0, 1), (1, 1)]
    assert hist.n_selected == query.et_histogram(key, sel, 32).n_selected
    seen.clear()
    query.mmq_histogram(key, sel, 0.1, 0.1, (0.5, 60.0), (0.5, 60.0), progress=record)
    assert seen == [(0, 1), (1, 1)]
