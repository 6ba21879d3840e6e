"""Every value of the view state round-trips exactly through the URL (field case
06-url-number-format)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awa.model import (
    ALL_BOXES,
    DPU_MODES,
    ET_UNITS,
    IMAGE_FORMATS,
    KP_THIRDS,
    ME_AXIS_LIMITS,
    ME_COLOUR_MAX,
    PAPS_LEVELS,
    PHA_PRIORITIES,
    PHA_RANGES,
    PLOT_MODES,
    RATE_NAMES,
    SCATTER_COLORS,
    SSD_IDS,
    TABS,
    TAC_SLOPES,
    TIMELINE_PANELS,
    AppState,
    FilterError,
    MeOptions,
    Selection,
    SweepLimit,
    TimeRange,
    ViewOptions,
    all_params,
    format_exact,
    merge_time_ranges,
    parse_number,
    parse_params,
    parse_query,
    to_query,
)

INF = math.inf


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Any float in ``[lo, hi]``: many digits, subnormals near 0, exact bounds."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def closed(lo: float, hi: float, strict: bool = False) -> st.SearchStrategy[tuple[float, float]]:
    pairs = st.tuples(floats(lo, hi), floats(lo, hi)).map(lambda p: (min(p), max(p)))
    return pairs.filter(lambda p: p[0] < p[1]) if strict else pairs


def filter_range(lo: float, hi: float) -> st.SearchStrategy[tuple[float, float] | None]:
    """A filter range: closed, one-sided (an infinite side), or None."""
    return st.one_of(
        st.none(),
        closed(lo, hi),
        floats(lo, hi).map(lambda a: (a, INF)),
        floats(lo, hi).map(lambda b: (-INF, b)),
    )


def int_range(lo: int, hi: int) -> st.SearchStrategy[tuple[float, float] | None]:
    ints = st.integers(lo, hi).map(float)
    return st.one_of(
        st.none(),
        st.tuples(ints, ints).map(lambda p: (min(p), max(p))),
        ints.map(lambda a: (a, INF)),
        ints.map(lambda b: (-INF, b)),
    )


def subset(values: Any) -> st.SearchStrategy[tuple[int, ...] | None]:
    return st.none() | st.sets(st.sampled_from(sorted(values))).map(lambda s: tuple(sorted(s)))


moments = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2100, 12, 31))
time_ranges = st.tuples(moments, st.integers(1, 400 * 86_400_000_000)).map(
    lambda p: TimeRange(p[0], min(p[0] + timedelta(microseconds=p[1]), datetime(2101, 1, 1)))
)
minutes = st.integers(0, 24 * 60).map(lambda m: m / 60.0)
kp_values = st.one_of(st.sampled_from(KP_THIRDS), floats(0, 9))

selections = st.builds(
    Selection,
    times=st.lists(time_ranges, max_size=5).map(merge_time_ranges),
    l_range=filter_range(0, 20),
    vstep_range=int_range(0, 63),
    mlt_range=st.none() | st.tuples(minutes, minutes),
    dst_range=filter_range(-2000, 500),
    kp_range=st.one_of(
        st.none(),
        st.tuples(kp_values, kp_values).map(lambda p: (min(p), max(p))),
        kp_values.map(lambda a: (a, INF)),
        kp_values.map(lambda b: (-INF, b)),
    ),
    ssd_ids=subset(SSD_IDS),
    pha_ranges=subset(PHA_RANGES),
    paps_levels=subset(PAPS_LEVELS),
    dpu_modes=subset(DPU_MODES),
    tac_slopes=subset(TAC_SLOPES),
    pha_priorities=subset(PHA_PRIORITIES),
    triples_only=st.booleans(),
    reject_tof1019=st.booleans(),
    reject_range3=st.booleans(),
    reject_ssd_high=st.booleans(),
    sum_br_le_dcr=st.booleans(),
    br2_le_tcr=st.booleans(),
    rn_le_brn=st.booleans(),
    max_br0=st.none() | floats(0, 1e12),
    max_br1=st.none() | floats(0, 1e12),
    max_br2=st.none() | floats(0, 1e12),
    sweep=st.none()
    | st.builds(SweepLimit, st.sampled_from(RATE_NAMES), floats(0, 1e12), st.integers(0, 63)),
)
me_options = st.builds(
    MeOptions,
    z_range=st.none() | closed(0.0, ME_COLOUR_MAX, strict=True),
    mpq_range=st.none() | closed(*ME_AXIS_LIMITS, strict=True),
    mass_range=st.none() | closed(*ME_AXIS_LIMITS, strict=True),
    boxes=st.sets(st.sampled_from(ALL_BOXES), max_size=40).map(
        lambda b: tuple(sorted(b))
    ),
)
views = st.builds(
    ViewOptions,
    et_bin=st.integers(1, 256),
    et_x=closed(0, 1023, strict=True),
    et_y=closed(0, 1023, strict=True),
    et_units=st.sampled_from(ET_UNITS),
    et_mode=st.sampled_from(PLOT_MODES),
    z_range=st.none() | closed(0, 1e12),
    scatter_color=st.sampled_from(SCATTER_COLORS),
    mmq_binx=floats(0.001, 1.0),
    mmq_biny=floats(0.001, 1.0),
    mmq_x=closed(0.01, 1000, strict=True),
    mmq_y=closed(0.01, 1000, strict=True),
    mmq_norm=st.booleans(),
    mmq_refs=st.booleans(),
    mmq_mode=st.sampled_from(PLOT_MODES),
    panels=st.lists(st.sampled_from(TIMELINE_PANELS), unique=True).map(tuple),
    log_rates=st.booleans(),
    storm_dst=floats(-1000, 0),
    image_format=st.sampled_from(IMAGE_FORMATS),
    tab=st.sampled_from(TABS),
    me=me_options,
)
states = st.builds(AppState, selections, views)


@given(states)
@settings(max_examples=400, deadline=None)
def test_every_state_round_trips_through_the_url(state: AppState) -> None:
    query = to_query(state)
    assert parse_query(query) == (state, [])
    # the controls show every parameter; their texts parse back to the same state
    assert parse_params(all_params(state)) == (state, [])


@given(floats(-1e308, 1e308) | st.floats(-1e-300, 1e-300, allow_nan=False))
def test_the_number_parser_reads_every_number_the_writer_writes(x: float) -> None:
    assert parse_number(format_exact(x), "x") == x
    assert "+" not in format_exact(x)


# ---------------------------------------------------------------------------------------
# Field case 06: its three examples
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"t": "1986-040", "z": "1,1000000"}, lambda s: s.view.z_range == (1.0, 1e6)),
        ({"t": "1986-040", "z": "1,1234567"}, lambda s: s.view.z_range == (1.0, 1234567.0)),
        ({"t": "1986-040", "kp": "6.6666667,9"}, lambda s: s.selection.kp_range == (6.667, 9.0)),
        ({"t": "1986-040", "br0max": "1234567"}, lambda s: s.selection.max_br0 == 1234567.0),
        ({"t": "1986-040", "L": "4.1234567,6.5"},
         lambda s: s.selection.l_range == (4.1234567, 6.5)),
    ],
)  # fmt: skip
def test_field_case_06_values_survive_a_reload(params: dict[str, str], check: Any) -> None:
    state, errors = parse_params(params)
    assert errors == []
    assert check(state)
    url = to_query(state)
    back, errors = parse_query(url)
    assert errors == []
    assert back == state
    assert check(back)


def test_field_case_06_urls_hold_the_numbers_exactly() -> None:
    state, _ = parse_params({"t": "1986-040", "z": "1,1000000", "br0max": "1234567"})
    url = to_query(state)
    assert "z=1,1000000" in url
    assert "br0max=1234567" in url
    assert format_exact(1e16) == "1e16"  # no '+' (which a URL reads as a space)
    assert parse_number("1e+16", "x") == parse_number("1E16", "x") == 1e16
    state, _ = parse_params({"z": "1,1e12", "L": "1e-5,1.5e1"})
    assert "z=1,1000000000000" in to_query(state)
    assert "L=1e-05,15" in to_query(state)
    assert parse_query("?z=1,1e%2B06")[0].view.z_range == (1.0, 1e6)  # what older URLs hold


@pytest.mark.parametrize(
    ("params", "key", "words"),
    [
        ({"z": "1,nan"}, "z", "not a range"),
        ({"z": "1,inf"}, "z", "not a range"),
        ({"z": "1,1e999"}, "z", "not a range"),
        ({"z": "1,1e13"}, "z", "outside 0..1000000000000"),
        ({"L": "nan,5"}, "L", "not a range"),
        ({"L": "2,1e300"}, "L", "outside 0..20"),
        ({"br0max": "inf"}, "br0max", "not a number"),
        ({"br0max": "nan"}, "br0max", "not a number"),
        ({"br0max": "1e999"}, "br0max", "not a number"),
        ({"storm": "-1e6"}, "storm", "outside -1000..0"),
        ({"mbx": "0x10"}, "mbx", "not a number"),
        ({"kp": "nan,9"}, "kp", "not a Kp value"),
        ({"kp": "1e999"}, "kp", "not a Kp value"),
        ({"etbin": "9" * 5000}, "etbin", "too long"),
        ({"t": "1986-040-0000:041200"}, "t", "ambiguous"),
    ],
)
def test_values_the_url_cannot_carry_are_refused_with_a_message(
    params: dict[str, str], key: str, words: str
) -> None:
    with pytest.raises(FilterError) as info:
        parse_params(params)
    assert info.value.name in (key, "time")
    assert words in info.value.message
    state, errors = parse_query("?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert len(errors) == 1
    assert words in errors[0]
    assert state == AppState()  # the bad value is skipped, nothing else changes


def test_one_sided_ranges_in_the_url() -> None:
    state, errors = parse_query("?L=3,&dst=,0&vs=%3E%3D40")
    assert errors == []
    assert state.selection.l_range == (3.0, INF)
    assert state.selection.dst_range == (-INF, 0.0)
    assert state.selection.vstep_range == (40.0, INF)
    assert to_query(state) == "?L=3,&vs=40,&dst=,0"
    assert "L >= 3" in state.selection.describe()
    assert "Dst <= 0 nT" in state.selection.describe()


def test_empty_box_set_and_repeated_panels_round_trip() -> None:
    state = AppState(view=ViewOptions(panels=("L", "FSR", "L"), me=MeOptions(boxes=(9, 3, 3))))
    assert state.view.panels == ("L", "FSR")
    assert state.view.me.boxes == (3, 9)
    empty = AppState(view=ViewOptions(me=MeOptions(boxes=())))
    assert "boxes=none" in to_query(empty)
    assert parse_query(to_query(empty)) == (empty, [])


def test_sub_second_times_round_trip() -> None:
    r = TimeRange(datetime(1986, 2, 9, 6, 0, 0, 250000), datetime(1986, 2, 9, 7, 0, 1, 5))
    state = AppState(Selection(times=(r,)))
    assert "t=1986-040-060000.25:1986-040-070001.000005" in to_query(state)
    assert parse_query(to_query(state)) == (state, [])
