"""The time grammar's edge (issue 10) and the science team's forms (issue 9 point 6)."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from awa.model import (
    FilterError,
    TimeRange,
    parse_mlt,
    parse_params,
    parse_range,
    parse_sweep,
    parse_time_range,
    parse_time_ranges,
)

D = datetime
INF = math.inf


def test_an_ambiguous_same_day_end_is_refused_with_a_hint() -> None:
    with pytest.raises(FilterError) as info:
        parse_time_range("1986-040-0000:041200")
    message = info.value.message
    assert "ambiguous" in message
    assert "'041-1200'" in message  # the day-and-time spelling
    assert "'1986-040-041200'" in message  # the same-day spelling
    # both readings, written unambiguously, are accepted
    assert parse_time_range("1986-040-0000:041-1200").end == D(1986, 2, 10, 12)
    assert parse_time_range("1986-040-0000:1986-040-041200").end == D(1986, 2, 9, 4, 12)
    assert parse_time_range("1986-040-000000:041200").end == D(1986, 2, 9, 4, 12)
    assert parse_time_range("1986-040-0000:041201").end == D(1986, 2, 9, 4, 12, 1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1986-02-09T00:00Z/1986-02-10T12:00Z", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-02-09T00:00:00+00:00/1986-02-10T12:00+0000", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-02-09 06:00 UTC/1986-02-09 07:00 UTC", D(1986, 2, 9, 6), D(1986, 2, 9, 7)),
        ("1986-040-0000Z:1986-041-1200Z", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-040Z", D(1986, 2, 9), D(1986, 2, 10)),
    ],
)
def test_a_trailing_z_is_utc(text: str, start: datetime, end: datetime) -> None:
    assert parse_time_range(text) == TimeRange(start, end)


def test_another_utc_offset_is_refused_saying_times_are_utc() -> None:
    with pytest.raises(FilterError) as info:
        parse_time_range("1986-02-09T10:00+01:00/1986-02-10")
    assert "times are UTC" in info.value.message
    assert "+01:00" in info.value.message


@pytest.mark.parametrize(
    "text", ["1986-040:1986-039", "1986-040-1200:1100", "1986-02-10/1986-02-09T12:00"]
)
def test_an_end_before_the_start_echoes_what_was_typed(text: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_time_range(text)
    assert info.value.message.startswith(f"{text!r}: its end is not after its start")
    assert "00:00:00" not in info.value.message  # no computed times


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # the placeholder of the team's time box, line by line
        ("1984-248-000:1984-249-1200", D(1984, 9, 4), D(1984, 9, 5, 12)),
        ("1985-066-000:1985-166-0030", D(1985, 3, 7), D(1985, 6, 15, 0, 30)),
        ("1986-148-00:149-1200", D(1986, 5, 28), D(1986, 5, 29, 12)),
        # the form their notes use, '-' between start and end
        ("1985-246-0400-248-0400", D(1985, 9, 3, 4), D(1985, 9, 5, 4)),
        ("1986-040-0000-1986-041-1200", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-040-0600-1200", D(1986, 2, 9, 6), D(1986, 2, 9, 12)),
        ("1986-040-120000.25:1300", D(1986, 2, 9, 12, 0, 0, 250000), D(1986, 2, 9, 13)),
        ("2100", D(2100, 1, 1), D(2101, 1, 1)),
        ("2100-001-0000:2101-001-0000", D(2100, 1, 1), D(2101, 1, 1)),
    ],
)
def test_the_teams_time_forms(text: str, start: datetime, end: datetime) -> None:
    assert parse_time_range(text) == TimeRange(start, end)


def test_the_teams_placeholder_as_one_text_box() -> None:
    text = (
        "1984-248-000:1984-249-1200      \n1985-066-000:1985-166-0030      \n"
        "1986-148-00:149-1200"
    )
    assert len(parse_time_ranges(text)) == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1986-040-130:1400", "ambiguous: write four digits HHMM"),
        ("1986-040-12345:1400", "neither HHMM nor HHMMSS"),
        ("1986-040-1200.5:1400", "a fraction needs seconds"),
        ("1986-040-0000:12", "not a day-of-year range end"),
        ("2102-001", "outside 1960-2100"),
    ],
)
def test_other_time_forms_get_a_clear_message(text: str, words: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_time_range(text)
    assert words in info.value.message


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("3,", (3.0, INF)), (">=3", (3.0, INF)), ("L >= 3", (3.0, INF)), ("l>=3", (3.0, INF)),
        ("≥ 3", (3.0, INF)), (",6", (-INF, 6.0)), ("<=6", (-INF, 6.0)), ("L <= 6", (-INF, 6.0)),
        ("3 <= L <= 6", (3.0, 6.0)), ("=4", (4.0, 4.0)), ("2e0,1e1", (2.0, 10.0)),
        ("3 ,", (3.0, INF)), ("3..", (3.0, INF)),
    ],
)  # fmt: skip
def test_one_sided_l_ranges(text: str, want: tuple[float, float]) -> None:
    assert parse_range(text, "L", 0, 20) == want
    assert parse_params({"L": text})[0].selection.l_range == want


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3", "one number, not a range: write '3,' for 3 and above"),
        (">3", "bounds are inclusive, write >= instead of >"),
        ("L < 6", "write <= instead of <"),
        ("3 <= Dst <= 6", "not a range"),
        ("3,,6", "not a range"),
        ("inf,", "not a range"),
        (",30", "outside 0..20"),
    ],
)
def test_range_forms_that_are_refused(text: str, words: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_range(text, "L", 0, 20)
    assert words in info.value.message


def test_one_sided_forms_of_the_other_filters() -> None:
    state, errors = parse_params({"dst": "<=0", "vs": "40,", "mlt": ">=2200"})
    assert errors == []
    assert state.selection.dst_range == (-INF, 0.0)  # the team's 'Dst High 0' alone
    assert state.selection.vstep_range == (40.0, INF)
    assert state.selection.mlt_range == (22.0, 24.0)
    assert parse_mlt("<=0400") == (0.0, 4.0)
    assert parse_mlt(",0400") == (0.0, 4.0)
    with pytest.raises(FilterError, match="not a clock time"):
        parse_mlt(">=2500")
    with pytest.raises(FilterError, match="whole numbers only"):
        parse_range("2.5,", "vs", 0, 63, integer=True)
    with pytest.raises(FilterError, match="both ends"):
        parse_params({"etx": "10,"})


def test_the_teams_rate_name_mss_is_the_ssd_rate() -> None:
    sweep = parse_sweep("MSS,10000,63")
    assert sweep is not None
    assert (sweep.rate, sweep.limit, sweep.step) == ("SSD", 10000.0, 63)
