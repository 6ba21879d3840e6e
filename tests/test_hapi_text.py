"""The vectorised text of the HAPI CSV writer against Python's and NumPy's own formatting."""

from __future__ import annotations

import numpy as np

from awa.hapi.encode import csv_chunk
from awa.hapi.model import Parameter
from awa.hapi.times import format_times


def test_times_match_numpy_over_two_centuries() -> None:
    rng = np.random.default_rng(3)
    lo = np.datetime64("1900-01-01", "ns").astype(np.int64)
    hi = np.datetime64("2100-01-01", "ns").astype(np.int64)
    ns = np.concatenate([
        rng.integers(lo, hi, 50_000),
        # leap days, year ends, the day boundary, a sub-microsecond part (truncated)
        np.array(["1984-02-29T23:59:59.999999", "1986-12-31T23:59:59", "1986-02-09T00:00",
                  "2000-02-29T12:00", "1900-03-01"], dtype="datetime64[ns]").astype(np.int64),
        np.array([np.datetime64("1986-02-08T10:00:00.000000999", "ns").astype(np.int64)]),
    ])  # fmt: skip
    text = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[us]"), unit="us")
    want = np.char.add(text.astype("S26"), b"Z")
    assert (format_times(ns) == want).all()
    assert format_times(ns[-1:])[0] == b"1986-02-08T10:00:00.000000Z"


def test_integers_and_doubles_read_back() -> None:
    rng = np.random.default_rng(4)
    n = 5000
    ints = rng.integers(-(2**31), 2**31, n).astype(np.int32)
    ints[:4] = [0, -1, 2**31 - 1, -(2**31)]
    me = rng.poisson(3, (n, 5)).astype(np.int32)
    dbl = rng.normal(0, 1e3, n)
    dbl[:3] = [np.nan, 0.1, -0.0]
    f32 = rng.random(n).astype(np.float32)
    params = (
        Parameter("a", "integer", None, "a"),
        Parameter("me", "integer", None, "me", size=(5,)),
        Parameter("d", "double", None, "d"),
        Parameter("f", "double", None, "f"),
    )
    t = np.arange(n, dtype=np.int64) * 1_000_000_000
    text = csv_chunk(t, {"a": ints, "me": me, "d": dbl, "f": f32}, params).decode()
    rows = [line.split(",") for line in text.splitlines()]
    assert len(rows) == n
    assert {len(r) for r in rows} == {1 + 1 + 5 + 1 + 1}
    assert [int(r[1]) for r in rows] == ints.tolist()
    assert [[int(x) for x in r[2:7]] for r in rows] == me.tolist()
    got = np.array([float(r[7]) for r in rows])
    assert got[0] == -1.0e31  # NaN is written as the fill value
    np.testing.assert_array_equal(got[1:], dbl[1:])
    np.testing.assert_array_equal(np.array([r[8] for r in rows], dtype=np.float32), f32)


def test_doubles_are_written_in_their_shortest_fixed_form() -> None:
    """Each value gets its own fewest decimals, whatever its neighbours (so the text does not
    depend on how records are chunked); NaN becomes the fill value."""
    dbl = np.array([4.65, -20.0, 0.1, 8.667, np.nan, 1e-9, 123456.789])
    f32 = np.array([4.6568313, 11.612721, 4.65, 5, 0.5, 7, 1], dtype=np.float32)
    params = (Parameter("d", "double", None, "d"), Parameter("f", "double", None, "f"))
    t = np.zeros(7, dtype=np.int64)
    lines = csv_chunk(t, {"d": dbl, "f": f32}, params).decode().splitlines()
    assert [line.split(",", 1)[1] for line in lines] == [
        "4.65,4.6568313", "-20,11.612721", "0.1,4.65", "8.667,5", "-1e+31,0.5",
        "0.000000001,7", "123456.789,1",
    ]  # fmt: skip
    alone = csv_chunk(t[1:2], {"d": dbl[1:2], "f": f32[1:2]}, params).decode()
    assert alone.split(",", 1)[1] == "-20,11.612721\n"
