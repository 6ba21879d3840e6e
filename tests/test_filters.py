"""The typed filter model, the time grammar (with property tests) and URL round trips."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awa.model import (
    ALL_BOXES,
    AppState,
    FilterError,
    MeOptions,
    Selection,
    SweepLimit,
    TimeRange,
    ViewOptions,
    all_params,
    format_boxes,
    format_mlt,
    format_time_range,
    format_time_ranges,
    merge_time_ranges,
    parse_boxes,
    parse_int_set,
    parse_mlt,
    parse_params,
    parse_query,
    parse_range,
    parse_sweep,
    parse_time_range,
    parse_time_ranges,
    to_params,
    to_query,
)

D = datetime


# ---------------------------------------------------------------------------------------
# Time grammar: examples
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1986-02-09T00:00/1986-02-10T12:00", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-02-09 06:30:15/1986-02-09 07:00", D(1986, 2, 9, 6, 30, 15), D(1986, 2, 9, 7)),
        ("1986-02-09/1986-02-10", D(1986, 2, 9), D(1986, 2, 11)),
        ("1986-02-09", D(1986, 2, 9), D(1986, 2, 10)),
        ("1986-040-0000:1986-041-1200", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-040-0000:041-1200", D(1986, 2, 9), D(1986, 2, 10, 12)),
        ("1986-040-0600:1200", D(1986, 2, 9, 6), D(1986, 2, 9, 12)),
        ("1986-040-060030:120015", D(1986, 2, 9, 6, 0, 30), D(1986, 2, 9, 12, 0, 15)),
        ("1986-040:042", D(1986, 2, 9), D(1986, 2, 12)),
        ("1986-040-2200:2400", D(1986, 2, 9, 22), D(1986, 2, 10)),
        ("1986-040", D(1986, 2, 9), D(1986, 2, 10)),
        ("1986", D(1986, 1, 1), D(1987, 1, 1)),
        ("1988-366", D(1988, 12, 31), D(1989, 1, 1)),
        ("  1984-365-2300:1985-001-0100 ", D(1984, 12, 30, 23), D(1985, 1, 1, 1)),
    ],
)
def test_parse_time_range_forms(text: str, start: datetime, end: datetime) -> None:
    assert parse_time_range(text) == TimeRange(start, end)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("1985-366", "outside 001-365"),
        ("1986-000-0000:0100", "outside 001-365"),
        ("1986-040-2500:2600", "not a valid clock time"),
        ("1986-040-1200:1100", "not after its start"),
        ("1986-02-30", "not a calendar date"),
        ("1986-02-09T10:00", "single instant"),
        ("yesterday", "accepted"),
        ("1986-040-0000:041:042", "more than one ':'"),
        ("1986-02-09/1986-02-10/1986-02-11", "more than one '/'"),
        ("1850", "outside"),
        ("", "empty"),
    ],
)
def test_parse_time_range_errors_say_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_time_range(text)
    assert needle in str(info.value)
    assert info.value.name == "time"


def test_several_ranges_are_sorted_and_merged() -> None:
    ranges = parse_time_ranges("1986-041-0000:1200; 1986-040-0000:1986-041-0600\n1986-050")
    assert ranges == (
        TimeRange(D(1986, 2, 9), D(1986, 2, 10, 12)),
        TimeRange(D(1986, 2, 19), D(1986, 2, 20)),
    )
    assert parse_time_ranges("") == ()


def test_format_time_range_is_day_of_year() -> None:
    r = TimeRange(D(1986, 2, 9, 6, 5), D(1986, 2, 10, 0, 0, 30))
    assert format_time_range(r) == "1986-040-0605:1986-041-000030"


# ---------------------------------------------------------------------------------------
# Time grammar: properties
# ---------------------------------------------------------------------------------------

times = st.datetimes(min_value=D(1984, 1, 1), max_value=D(1989, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)
ranges = st.tuples(times, st.integers(1, 40 * 86400)).map(
    lambda p: TimeRange(p[0], p[0] + timedelta(seconds=p[1]))
)


@given(ranges)
def test_doy_format_parses_back(r: TimeRange) -> None:
    assert parse_time_range(format_time_range(r)) == r


@given(ranges)
def test_iso_format_parses_back(r: TimeRange) -> None:
    assert parse_time_range(f"{r.start.isoformat()}/{r.end.isoformat()}") == r


@given(ranges)
def test_short_doy_forms_agree_with_full_form(r: TimeRange) -> None:
    full = format_time_range(r)
    start, end = full.split(":")
    if r.start.year == r.end.year:
        assert parse_time_range(f"{start}:{end[5:]}") == r  # same year: DDD-HHMM
    if r.start.date() == r.end.date():
        assert parse_time_range(f"{start}:{end[9:]}") == r  # same day: HHMM


@given(st.lists(ranges, max_size=6))
def test_merge_gives_sorted_disjoint_ranges_covering_the_same_times(rs: list[TimeRange]) -> None:
    merged = merge_time_ranges(rs)
    for a, b in zip(merged, merged[1:], strict=False):
        assert a.end < b.start
    for r in rs:  # every input range lies inside one merged range
        assert any(m.start <= r.start and r.end <= m.end for m in merged)
    assert parse_time_ranges(format_time_ranges(merged)) == merged


@given(st.text(alphabet="0123456789-:/T ;,ab", max_size=40))
@settings(max_examples=300)
def test_any_text_parses_or_raises_filter_error(text: str) -> None:
    error: FilterError | None = None
    try:
        out = parse_time_ranges(text)
    except FilterError as exc:
        error = exc
        out = ()
    assert error is None or error.name == "time"
    assert all(r.start < r.end for r in out)


# ---------------------------------------------------------------------------------------
# Numbers, MLT, sets, sweeps
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2,10", (2.0, 10.0)), ("2-10", (2.0, 10.0)), ("-200--50", (-200.0, -50.0)),
     ("1.5 .. 3", (1.5, 3.0)), ("3 to 4", (3.0, 4.0))],
)  # fmt: skip
def test_parse_range_separators(text: str, expected: tuple[float, float]) -> None:
    assert parse_range(text, "x", -1000, 1000) == expected


def test_parse_range_rejects_bad_values() -> None:
    with pytest.raises(FilterError, match="outside"):
        parse_range("2,30", "L", 0, 20)
    with pytest.raises(FilterError, match="above high"):
        parse_range("5,2", "L", 0, 20)
    with pytest.raises(FilterError, match="whole numbers"):
        parse_range("1.5,3", "vs", 0, 63, integer=True)
    with pytest.raises(FilterError, match="accepted"):
        parse_range("L>2", "L", 0, 20)


def test_mlt_wraps_and_round_trips() -> None:
    assert parse_mlt("2200-0400") == (22.0, 4.0)
    assert parse_mlt("0630,1245") == (6.5, 12.75)
    assert format_mlt((22.0, 4.0)) == "2200-0400"
    with pytest.raises(FilterError, match="clock time"):
        parse_mlt("2500-0100")
    with pytest.raises(FilterError, match="HHMM"):
        parse_mlt("night")


def test_int_sets_and_sweep() -> None:
    assert parse_int_set("2, 0", "dpu", range(4)) == (0, 2)
    assert parse_int_set([3, "1"], "ssd", range(6)) == (1, 3)
    with pytest.raises(FilterError, match="not allowed"):
        parse_int_set("7", "dpu", range(4))
    assert parse_sweep("dcr,5000,12") == SweepLimit("DCR", 5000.0, 12)
    assert parse_sweep("") is None
    with pytest.raises(FilterError, match="FSR, DCR, TCR, SSD"):
        parse_sweep("XYZ,1,2")
    with pytest.raises(FilterError, match="0..63"):
        parse_sweep("DCR,1,64")


# ---------------------------------------------------------------------------------------
# Selection, URL
# ---------------------------------------------------------------------------------------


def test_defaults_match_the_standard_analysis() -> None:
    sel = Selection()
    assert sel.l_range == (2.0, 10.0)
    assert sel.dpu_modes == (0, 2)
    assert sel.tac_slopes == (0,)
    assert sel.pha_priorities == (78,)
    assert sel.reject_tof1019
    assert sel.reject_range3
    assert sel.reject_ssd_high
    # the science team's defaults (issue 9, point 4)
    assert sel.triples_only
    assert sel.paps_levels == (0, 1, 2, 3, 4, 5, 6)
    assert sel.sum_br_le_dcr
    assert sel.br2_le_tcr
    assert sel.rn_le_brn
    assert sel.needs_rates
    assert hash(sel) == hash(Selection())


def test_describe_names_active_filters() -> None:
    sel = Selection(
        mlt_range=(22.0, 4.0), dst_range=(-300.0, -50.0), sweep=SweepLimit("FSR", 1e4, 3)
    )
    text = sel.describe()
    assert "MLT 2200-0400" in text
    assert "Dst -300..-50 nT" in text
    assert "drop sweeps with FSR>10000 at step 3" in text
    assert sel.needs_rates


def test_url_round_trip_of_a_full_state() -> None:
    state = AppState(
        Selection(
            times=parse_time_ranges("1986-040-0000:1200;1986-041"),
            l_range=None, vstep_range=(3.0, 40.0), mlt_range=(22.0, 4.0), kp_range=(0.0, 3.0),
            ssd_ids=(1, 2), dpu_modes=None, triples_only=True, reject_range3=False,
            rn_le_brn=True, max_br1=500.0, sweep=SweepLimit("TCR", 200.0, 10),
        ),
        ViewOptions(et_bin=4, et_units="physical", z_range=(1.0, 1000.0), mmq_norm=True,
                    panels=("DCR", "R/BR", "ME"), log_rates=False, image_format="svg"),
    )  # fmt: skip
    query = to_query(state)
    assert query.startswith("?t=1986-040-0000:1986-040-1200;1986-041-0000:1986-042-0000")
    back, errors = parse_query(query)
    assert errors == []
    assert back == state


def test_default_state_has_empty_query() -> None:
    assert to_query(AppState()) == ""
    assert parse_query("") == (AppState(), [])
    assert to_params(AppState()) == {}


def test_bad_url_parameters_are_skipped_with_messages() -> None:
    state, errors = parse_query("?L=2,30&dpu=0&zzz=1&t=1986-040")
    assert state.selection.l_range == (2.0, 10.0)  # default kept
    assert state.selection.dpu_modes == (0,)
    assert state.selection.times == parse_time_ranges("1986-040")
    assert any(e.startswith("L:") for e in errors)
    assert any("zzz" in e for e in errors)


def test_strict_parsing_raises_the_first_error() -> None:
    with pytest.raises(FilterError) as info:
        parse_params({"etx": "500,100"})
    assert info.value.name == "etx"
    with pytest.raises(FilterError, match="unknown parameter"):
        parse_params({"nope": "1"})


@given(
    l_lo=st.floats(0, 10, allow_nan=False), width=st.floats(0.1, 10),
    dpu=st.lists(st.sampled_from([0, 1, 2, 3]), unique=True),
    tri=st.booleans(), bin_w=st.integers(1, 256), r=ranges,
)  # fmt: skip
def test_url_round_trip_property(
    l_lo: float, width: float, dpu: list[int], tri: bool, bin_w: int, r: TimeRange
) -> None:
    lo, hi = round(l_lo, 3), round(l_lo + width, 3)
    state = AppState(
        Selection(times=(r,), l_range=(lo, hi), dpu_modes=tuple(sorted(dpu)), triples_only=tri),
        ViewOptions(et_bin=bin_w),
    )
    assert parse_query(to_query(state)) == (state, [])


def test_bin_width_message() -> None:
    # fractional bins are allowed (the science team's 2.5 channels), from 1 channel up
    with pytest.raises(FilterError, match="not a number between 1 and 256"):
        parse_params({"etbin": ""})
    with pytest.raises(FilterError, match="outside 1..256"):
        parse_params({"etbin": "0"})


# ---------------------------------------------------------------------------------------
# Matrix-element view options in the URL (mez, mex, mey, boxes)
# ---------------------------------------------------------------------------------------


def _me_state(me: MeOptions, t: str = "1986-040") -> AppState:
    return AppState(Selection(times=parse_time_ranges(t)), ViewOptions(tab="me", me=me))


@pytest.mark.parametrize(
    ("query", "want"),
    [
        ("mez=1,1e4", MeOptions(z_range=(1.0, 1e4))),
        ("mez=auto", MeOptions()),
        ("mex=0.7,30&mey=0.8%2040", MeOptions(mpq_range=(0.7, 30.0), mass_range=(0.8, 40.0))),
        ("boxes=55,252-256", MeOptions(boxes=(55, 252, 253, 254, 255, 256))),
        ("boxes=55%2090;291", MeOptions(boxes=(55, 90, 291))),
        ("boxes=all", MeOptions()),
        ("boxes=0-490", MeOptions()),
        ("mez=0,1e15&boxes=490", MeOptions(z_range=(0.0, 1e15), boxes=(490,))),
    ],
)
def test_me_options_from_the_url(query: str, want: MeOptions) -> None:
    state, errors = parse_query("?" + query)
    assert errors == []
    assert state.view.me == want
    back, errors = parse_query(to_query(state))
    assert (back, errors) == (state, [])


@pytest.mark.parametrize(
    ("query", "key", "words"),
    [
        ("mez=5,1", "mez", "not below high"),
        ("mez=1,2,3", "mez", "not a range"),
        ("mez=-1,10", "mez", "out of bounds"),
        ("mex=abc", "mex", "not a range"),
        ("mex=0,10", "mex", "out of bounds"),
        ("mey=1,nan", "mey", "out of bounds"),
        ("mey=1,inf", "mey", "out of bounds"),
        ("boxes=600", "boxes", "outside 0-490"),
        ("boxes=9-3", "boxes", "outside 0-490"),
        ("boxes=55,x", "boxes", "not a box"),
    ],
)
def test_bad_me_options_are_skipped_with_messages(query: str, key: str, words: str) -> None:
    state, errors = parse_query(f"?t=1986-040&mex=1,20&{query}")
    assert len(errors) == 1
    assert errors[0].startswith(f"{key}: ")
    assert words in errors[0]
    assert "accepted" in errors[0]
    assert state.selection.times == parse_time_ranges("1986-040")  # the rest is kept
    if key != "mex":
        assert state.view.me.mpq_range == (1.0, 20.0)
    with pytest.raises(FilterError) as info:
        parse_params(dict([query.split("=")]))
    assert info.value.name == key


def test_default_me_options_stay_out_of_the_url() -> None:
    state = _me_state(MeOptions())
    assert to_query(state) == "?t=1986-040-0000:1986-041-0000&tab=me"
    params = all_params(state)
    assert (params["mez"], params["mex"], params["mey"], params["boxes"]) == (
        "all", "all", "all", "all",
    )  # fmt: skip
    assert parse_params(params) == (state, [])
    assert format_boxes(()) == ""
    assert parse_boxes("") == ALL_BOXES


window = st.tuples(
    st.floats(0.01, 1000.0, allow_nan=False), st.floats(0.01, 1000.0, allow_nan=False)
).filter(lambda p: p[0] < p[1])
colours = st.tuples(
    st.floats(0.0, 1e15, allow_nan=False), st.floats(0.0, 1e15, allow_nan=False)
).filter(lambda p: p[0] < p[1])
box_sets = st.sets(st.integers(0, 490), min_size=1, max_size=60).map(lambda b: tuple(sorted(b)))


@given(z=st.none() | colours, x=st.none() | window, y=st.none() | window, boxes=box_sets)
@settings(max_examples=200)
def test_me_options_url_round_trip_property(
    z: tuple[float, float] | None,
    x: tuple[float, float] | None,
    y: tuple[float, float] | None,
    boxes: tuple[int, ...],
) -> None:
    state = _me_state(MeOptions(z_range=z, mpq_range=x, mass_range=y, boxes=boxes))
    query = to_query(state)
    assert parse_query(query) == (state, [])
    # the controls' texts (every parameter) parse back to the same state as well
    assert parse_params(all_params(state)) == (state, [])
    assert parse_boxes(format_boxes(boxes)) == boxes
