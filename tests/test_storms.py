"""The one storm rule (awa.chem.storms) on hourly arrays."""

from __future__ import annotations

import numpy as np
import pytest

from awa.chem import storms


def _as_lists(found: storms.StormHours) -> list[tuple[int, int, float]]:
    return [
        (int(s), int(e), float(m))
        for s, e, m in zip(found.start, found.end, found.min_dst, strict=True)
    ]


def test_stormy_hours_merge_within_the_gap_and_have_no_minimum_length() -> None:
    hours = np.arange(100, 160)
    dst = np.full(60, -20.0)
    dst[5:8] = [-60, -80, -55]  # hours 105-107
    dst[12:14] = [-70, -90]  # hours 112-113: 5 h after 107 -> same storm
    dst[30] = -200  # hour 130: alone, one hour long, kept
    dst[40:42] = -60  # hours 140-141
    dst[42] = np.nan  # a NaN does not split (gap 2 h <= 6 h)
    dst[43:45] = [-65, -52]  # hours 143-144
    dst[51] = -50  # hour 151: at the threshold (stormy), 7 h after 144 -> own storm
    found = storms.storm_hours(hours, dst, threshold=-50.0)
    assert len(found) == 4
    assert _as_lists(found) == [
        (105, 114, -90.0),
        (130, 131, -200.0),
        (140, 145, -65.0),
        (151, 152, -50.0),
    ]


def test_merge_gap_is_start_to_start_at_most_merge_hours() -> None:
    hours = np.array([0, 6, 13, 14])
    dst = np.array([-120.0, -110.0, -130.0, np.nan])
    # 0 -> 6 is 6 h apart (merged); 6 -> 13 is 7 h apart (split)
    assert _as_lists(storms.storm_hours(hours, dst)) == [(0, 7, -120.0), (13, 14, -130.0)]
    assert _as_lists(storms.storm_hours(hours, dst, merge_hours=7)) == [(0, 14, -130.0)]
    assert _as_lists(storms.storm_hours(hours, dst, merge_hours=0)) == [
        (0, 1, -120.0),
        (6, 7, -110.0),
        (13, 14, -130.0),
    ]


def test_missing_hours_count_as_quiet() -> None:
    # hours 2-9 absent from the series: the storm does not bridge 8 h
    found = storms.storm_hours([0, 1, 10], [-150.0, -160.0, -170.0])
    assert _as_lists(found) == [(0, 2, -160.0), (10, 11, -170.0)]


def test_default_threshold_is_the_apps() -> None:
    assert storms.DEFAULT_THRESHOLD_NT == -100.0
    found = storms.storm_hours([0, 1, 2], [-99.0, -100.0, -101.0])
    assert _as_lists(found) == [(1, 3, -101.0)]


def test_no_storm_and_empty_input() -> None:
    assert len(storms.storm_hours([0, 1], [-20.0, np.nan])) == 0
    empty = storms.storm_hours(np.array([], dtype=np.int64), np.array([]))
    assert len(empty) == 0
    assert empty.start.dtype == np.int64
    assert empty.min_dst.dtype == np.float64


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        storms.storm_hours([0, 1], [1.0])
    with pytest.raises(ValueError, match="sorted and unique"):
        storms.storm_hours([0, 0, 1], [-200.0, -200.0, -200.0])
