"""Hour index: time windows to row ranges on a sorted table, against brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tables

from awa.chem import hour_index

H = hour_index.HOUR_NS


@pytest.fixture
def table_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(3)
    # hours 0-2 dense, hours 3-5 empty, hour 6 sparse, repeated times inside
    t = np.concatenate(
        [
            rng.integers(0, 3 * H, 5000),
            rng.integers(6 * H, 7 * H, 40),
            np.full(30, 2 * H),  # many rows exactly on an hour boundary
        ]
    )
    t = np.sort(t) + 500 * 24 * H
    path = tmp_path / "t.h5"
    with tables.open_file(path, "w") as h5:
        tb = h5.create_table("/", "table", {"SpinStartTime": tables.Int64Col(pos=0)})
        tb.append(np.rec.fromarrays([t], names="SpinStartTime"))
        parts = [hour_index.hour_starts(t[i : i + 700], i) for i in range(0, len(t), 700)]
        hour_index.write_hour_index(h5, hour_index.merge_hour_starts(parts), len(t))
    return path, t


def test_row_ranges_equal_brute_force(table_file: tuple[Path, np.ndarray]) -> None:
    path, t = table_file
    base = 500 * 24 * H
    rng = np.random.default_rng(4)
    bounds = [(0, 3 * H), (2 * H, 2 * H + 1), (H // 2, 6 * H + 5), (4 * H, 5 * H), (7 * H, 9 * H)]
    bounds += [tuple(sorted(rng.integers(-H, 8 * H, 2))) for _ in range(200)]
    with tables.open_file(path) as h5:
        table = h5.root.table
        index = hour_index.read_hour_index(h5)
        assert index is not None
        np.testing.assert_array_equal(index, hour_index.scan_hour_index(table, chunk=333))
        for a, b in bounds:
            lo, hi = hour_index.row_range(table, index, base + int(a), base + int(b))
            assert lo == np.searchsorted(t, base + a, side="left")
            expected_hi = np.searchsorted(t, base + b, side="left") if b > a else lo
            assert hi == expected_hi


def test_missing_index_reads_as_none(tmp_path: Path) -> None:
    with tables.open_file(tmp_path / "x.h5", "w") as h5:
        assert hour_index.read_hour_index(h5) is None
