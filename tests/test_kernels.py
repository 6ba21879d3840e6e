"""Compiled scan loops (awa.query.kernels) against the numpy path they replace.

Random blocks cover every bit pattern the tables index (negative and over-range channels,
every SSDID and Range byte, every M/Q code); each selection's detector tables must give
``detector_mask`` exactly, and each loop the counts of the numpy path (look-ups, mask,
``bincount``).  Whole-store equality on the built store is in tests/test_physics_columns.py
and tests/test_columns.py.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from awa.model import Selection
from awa.query import kernels, physics_bins
from awa.query.histograms import _channel_lut, log_edges, overlapped
from awa.query.masks import detector_mask, detector_tables

SELECTIONS = {
    "default": Selection(),
    "none": Selection(
        triples_only=False, reject_tof1019=False, reject_range3=False, reject_ssd_high=False
    ),
    "ssd and ranges": Selection(ssd_ids=(0, 2, 5), pha_ranges=(1, 3)),
    "ssd only, no rejections": Selection(
        ssd_ids=(1,), triples_only=False, reject_range3=False, reject_ssd_high=False
    ),
}


def _block(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # mostly valid channels, some of every other bit pattern
    energy = rng.integers(0, 1024, n).astype(np.int16)
    tof = rng.integers(0, 1024, n).astype(np.int16)
    odd = rng.random(n) < 0.02
    energy[odd] = rng.integers(-32768, 32768, odd.sum()).astype(np.int16)
    odd = rng.random(n) < 0.02
    tof[odd] = rng.integers(-32768, 32768, odd.sum()).astype(np.int16)
    tof[rng.random(n) < 0.01] = 1019
    energy[rng.random(n) < 0.05] = 0
    return {
        "Energy": energy,
        "TOF": tof,
        "SSDID": rng.integers(-128, 128, n).astype(np.int8) // 16,
        "Range": rng.integers(-1, 5, n).astype(np.int8),
        "mpq_code": rng.integers(0, 65536, n).astype(np.uint16),
    }


@pytest.mark.parametrize("name", SELECTIONS)
def test_detector_tables_equal_the_mask(name: str) -> None:
    sel = SELECTIONS[name]
    tables = detector_tables(sel)
    block = _block(200_000, 1)
    expect = detector_mask(block, sel)
    got = np.ones(len(expect), dtype=bool)
    for column, unsigned in (("Energy", np.uint16), ("TOF", np.uint16), ("SSDID", np.uint8),
                             ("Range", np.uint8)):  # fmt: skip
        got &= tables[column][block[column].view(unsigned)].astype(bool)
    np.testing.assert_array_equal(got, expect)
    assert expect.sum() > 0
    assert (expect.sum() < len(expect)) == (name != "none")


@pytest.mark.parametrize("name", SELECTIONS)
@pytest.mark.parametrize(("width", "lo", "hi"), [(8.0, 0.0, 1024.0), (1.0, 0.0, 1024.0),
                                                 (5.0, 100.0, 612.0)])  # fmt: skip
def test_et_counts_equal_numpy(name: str, width: float, lo: float, hi: float) -> None:
    sel = SELECTIONS[name]
    block = _block(300_000, 2)
    run_ok = np.random.default_rng(3).random(300_000) < 0.8
    edges = np.arange(lo, hi + width / 2, width)
    nx = ny = len(edges) - 1
    lut_x = _channel_lut(tuple(edges.tolist()), 1)
    lut_y = _channel_lut(tuple(edges.tolist()), nx)
    # the numpy path
    mask = run_ok & detector_mask(block, sel)
    idx = lut_y[block["Energy"].view(np.uint16)] + lut_x[block["TOF"].view(np.uint16)]
    keep = mask & (idx >= 0)
    expect = np.bincount(idx[keep], minlength=nx * ny)
    flat = np.zeros(nx * ny, dtype=np.int64)
    n_sel = kernels.et_counts(block, run_ok, detector_tables(sel), lut_y, lut_x, flat)
    assert n_sel == int(mask.sum())
    np.testing.assert_array_equal(flat, expect)
    assert flat.sum() > 0


@pytest.mark.parametrize("name", SELECTIONS)
@pytest.mark.parametrize(("bx", "by"), [(0.02, 0.02), (0.0046, 0.0046), (0.001, 0.05)])
def test_mmq_counts_and_redo_equal_numpy(name: str, bx: float, by: float) -> None:
    sel = SELECTIONS[name]
    n = 300_000
    block = _block(n, 4)
    # codes of real M/Q values (log-uniform 0.3 to 100 amu/e), some NaN and off-scale
    from awa.chem import sidecar

    rng = np.random.default_rng(5)
    mpq = 10 ** rng.uniform(-0.5, 2.0, n)
    mpq[rng.random(n) < 0.02] = np.nan
    block["mpq_code"] = sidecar.mpq_code(mpq)
    run_ok = rng.random(n) < 0.9
    xe, ye = log_edges(0.5, 60.0, bx), log_edges(0.5, 60.0, by)
    nx, ny = len(xe) - 1, len(ye) - 1
    mass_bin = physics_bins.mass_table(tuple(ye.tolist()), nx)
    code_bin = physics_bins.code_table(tuple(xe.tolist()))
    # the numpy path (physics_bins.block_bins without the exact conversion)
    mask = run_ok & detector_mask(block, sel)
    eu, tu = block["Energy"].view(np.uint16), block["TOF"].view(np.uint16)
    odd = (eu | tu) >= physics_bins.CHANNELS
    key = (eu.astype(np.int32) << 10) | tu
    key[odd] = 0
    idx = mass_bin[key] + code_bin[block["mpq_code"]]
    redo = mask & (odd | ((idx < 0) & (idx >= physics_bins.STRADDLE)))
    keep = mask & ~odd & (idx >= 0)
    flat = np.zeros(nx * ny, dtype=np.int64)
    n_sel, n_shown, got_redo = kernels.mmq_counts(
        block, run_ok, detector_tables(sel), mass_bin, code_bin, physics_bins.STRADDLE,
        physics_bins.CHANNELS, flat,
    )  # fmt: skip
    assert n_sel == int(mask.sum())
    np.testing.assert_array_equal(got_redo, np.flatnonzero(redo))
    assert n_shown == int(keep.sum())
    np.testing.assert_array_equal(flat, np.bincount(idx[keep], minlength=nx * ny))
    assert 0 < len(got_redo) < n_sel


def test_overlapped_counts_in_order_in_another_thread() -> None:
    seen: list[tuple[int, str]] = []

    def count(block: int) -> None:
        seen.append((block, threading.current_thread().name))

    overlapped(iter(range(50)), count)
    assert [b for b, _ in seen] == list(range(50))
    assert all(name.startswith("awa-count") for _, name in seen)


def test_overlapped_raises_the_counting_error_and_stops_reading() -> None:
    read: list[int] = []

    def blocks():  # type: ignore[no-untyped-def]
        for i in range(100):
            read.append(i)
            yield i

    def count(block: int) -> None:
        if block == 3:
            raise ValueError("bad block 3")

    with pytest.raises(ValueError, match="bad block 3"):
        overlapped(blocks(), count)
    assert len(read) <= 6


def test_selection_variants_are_distinct() -> None:
    # each selection above exercises a different set of tables
    seen = {tuple(int(t.sum()) for t in detector_tables(s).values()) for s in SELECTIONS.values()}
    assert len(seen) == len(SELECTIONS)


def test_needed_spans_are_cut_into_blocks_covering_the_same_rows() -> None:
    from awa.query import scan

    chunk = scan.CHUNK
    rng = np.random.default_rng(7)
    lo, hi = 3 * chunk + 17, 40 * chunk + 5
    starts = np.sort(rng.integers(lo, hi - 10, 60))
    ends = starts + rng.integers(1, 3 * chunk, 60)
    ends = np.minimum(ends, hi)
    spans = scan._needed_spans(starts, ends, lo, hi)
    rows = np.zeros(hi, dtype=bool)
    for a, b in spans:
        assert b - a <= scan.BLOCK_ROWS
        assert not rows[a:b].any()  # no row read twice
        rows[a:b] = True
    for s, e in zip(starts, ends, strict=True):
        assert rows[s:e].all()  # every selected run's rows are read
    # every span edge is a chunk edge or the scan's own bound (whole chunks are read)
    edges = {x for span in spans for x in span} - {lo, hi}
    assert all(x % chunk == 0 for x in edges)
    assert len(spans) > len(scan._needed_spans(starts[:1], ends[:1], lo, hi))
