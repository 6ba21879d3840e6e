"""Kp bounds (field case 02): every spelling of a Kp third selects the same spins."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from awa.model import (
    KP_THIRDS,
    FilterError,
    Selection,
    describe_kp,
    format_kp,
    parse_kp,
    parse_kp_range,
    parse_params,
    parse_query,
    snap_kp,
    to_query,
)
from awa.query.masks import in_range

FIXTURE = Path(__file__).parent / "fixtures" / "indices" / "Kp_gfz_19890313.txt"

#: Kp as the stores hold it: GFZ's thirds with three decimals, float64.
STORED = np.array(KP_THIRDS, dtype=np.float64)


def gfz_kp(path: Path) -> np.ndarray:
    """The eight 3-hour Kp values of each data line of a GFZ Kp_ap_Ap_SN_F107 file."""
    rows = [line.split()[7:15] for line in path.read_text().splitlines() if line[:1] != "#"]
    return np.array(rows, dtype=np.float64).ravel()


def test_the_stored_thirds_are_gfz_decimals() -> None:
    assert KP_THIRDS[:4] == (0.0, 0.333, 0.667, 1.0)
    assert KP_THIRDS[23] == 7.667
    assert KP_THIRDS[-1] == 9.0
    assert len(KP_THIRDS) == 28


@pytest.mark.parametrize("text", ["7.667", "23/3", "8-", "7.6667", " 8 - ", "7.66", "7.67"])
def test_every_spelling_of_8_minus_is_the_stored_third(text: str) -> None:
    assert parse_kp(text) == 7.667


@pytest.mark.parametrize(
    ("text", "want"),
    [("5-", 4.667), ("5o", 5.0), ("5O", 5.0), ("5+", 5.333), ("0+", 0.333), ("9-", 8.667),
     ("9o", 9.0), ("0o", 0.0), ("14/3", 4.667), ("16/3", 5.333), ("5", 5.0), ("5.5", 5.5),
     ("4.65", 4.65), ("1e0", 1.0)],
)  # fmt: skip
def test_kp_values(text: str, want: float) -> None:
    assert parse_kp(text) == want


@pytest.mark.parametrize(
    ("text", "words"),
    [("0-", "not a Kp value"), ("9+", "not a Kp value"), ("10", "outside 0..9"),
     ("-1", "outside 0..9"), ("1/0", "divides by zero"), ("nan", "not a Kp value"),
     ("inf", "not a Kp value"), ("8--", "not a Kp value"), ("storm", "not a Kp value")],
)  # fmt: skip
def test_bad_kp_values_say_what_is_accepted(text: str, words: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_kp(text)
    assert words in info.value.message
    assert info.value.name == "kp"


LOWER_8_MINUS = [
    "7.667,9", "23/3,9", "8-,9o", "7.6667,9", "7.667..9", "8- to 9", "7.667 9",
    "8-,", "7.667,", ">=8-", ">= 7.667", "Kp >= 23/3", "kp>=7.6667", "8-",
    "8- <= Kp <= 9",
]  # fmt: skip


@pytest.mark.parametrize("text", LOWER_8_MINUS)
def test_every_spelling_of_kp_at_least_8_minus_selects_the_same_spins(text: str) -> None:
    low, high = parse_kp_range(text)
    assert low == 7.667
    assert high in (9.0, math.inf)
    mask = in_range(STORED, (low, high))
    assert mask.tolist() == (STORED >= 7.667).tolist()
    assert STORED[mask].tolist() == [7.667, 8.0, 8.333, 8.667, 9.0]


@pytest.mark.parametrize(
    ("text", "want"),
    [(">=5", (5.0, math.inf)), ("5,", (5.0, math.inf)), ("5-", (4.667, math.inf)),
     ("5+", (5.333, math.inf)), ("<=3", (-math.inf, 3.0)), (",3", (-math.inf, 3.0)),
     ("<=3+", (-math.inf, 3.333)), ("2+,5-", (2.333, 4.667)), ("=5o", (5.0, 5.0)),
     ("6.6666667,9", (6.667, 9.0))],
)  # fmt: skip
def test_one_sided_and_notation_ranges(text: str, want: tuple[float, float]) -> None:
    assert parse_kp_range(text) == want


def test_upper_bounds_include_the_third_too() -> None:
    for text in ("<=7.667", "<=23/3", "<=8-", ",7.6667", "0,7.667"):
        mask = in_range(STORED, parse_kp_range(text))
        assert STORED[mask].max() == 7.667


@pytest.mark.parametrize(
    ("text", "words"),
    [("9,5", "above high"), (">5", "inclusive"), ("5,10", "outside 0..9"), (",", "not a range"),
     ("a,b", "not a Kp value"), ("5,,6", "not a range; accepted: Kp values")],
)  # fmt: skip
def test_bad_kp_ranges(text: str, words: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_kp_range(text)
    assert words in str(info.value)


def test_field_case_02_gfz_and_celestrak_thirds_select_the_same_intervals() -> None:
    """The README's result: '7.667,9' keeps the GFZ 8- interval; 23/3 is the same bound."""
    gfz = gfz_kp(FIXTURE)
    assert gfz.tolist() == [6.0, 7.667, 8.667, 8.333, 8.333, 8.333, 8.667, 9.0]
    celestrak = np.array([snap_kp(round(v * 3) / 3) for v in gfz])  # 23/3 from CelesTrak
    assert celestrak.tolist() == gfz.tolist()
    for text in ("7.667,9", "23/3,9", "8-,9", "7.6667,9", ">=8-"):
        state, errors = parse_query(f"?t=1989-072&kp={text}")
        assert errors == []
        mask = in_range(gfz, state.selection.kp_range)  # type: ignore[arg-type]
        assert mask.tolist() == [False, True, True, True, True, True, True, True]


def test_selection_snaps_kp_whatever_the_caller_writes() -> None:
    assert Selection(kp_range=(23 / 3, 9.0)).kp_range == (7.667, 9.0)
    assert Selection(kp_range=(7.6667, math.inf)) == Selection(kp_range=(7.667, math.inf))
    assert Selection(kp_range=(5.5, 9.0)).kp_range == (5.5, 9.0)


def test_kp_in_captions_and_urls() -> None:
    assert format_kp(7.667) == "8-"
    assert format_kp(5.0) == "5o"
    assert format_kp(5.333) == "5+"
    assert format_kp(5.5) == "5.5"
    assert describe_kp((7.667, math.inf)) == "Kp >= 8-"
    assert describe_kp((-math.inf, 3.0)) == "Kp <= 3o"
    assert describe_kp((2.333, 4.667)) == "Kp 2+ to 5-"
    state, _ = parse_params({"kp": ">=8-"})
    assert "Kp >= 8-" in state.selection.describe()
    assert to_query(state) == "?kp=7.667,"
    assert parse_query(to_query(state)) == (state, [])


@given(st.floats(0, 9, allow_nan=False))
def test_snapping_is_idempotent_and_moves_at_most_the_snap_distance(value: float) -> None:
    snapped = snap_kp(value)
    assert snap_kp(snapped) == snapped
    assert abs(snapped - value) <= 0.0105
    assert snapped == value or snapped in KP_THIRDS
