"""Tests of data_build.indices: readers, downloads, hourly table, merge rule, storms."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_build import indices as ix
from data_build.indices import celestrak, wdc

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "indices"
SHARED_INDICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "indices"

needs_shared = pytest.mark.skipif(
    not SHARED_INDICES.is_dir(),
    reason=f"real index files not available ({SHARED_INDICES} is absent)",
)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ---------------------------------------------------------------------------------------
# Real files (../shared/data/indices)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_kp() -> pd.Series:
    return ix.read_gfz_kp_files(sorted(SHARED_INDICES.glob("Kp_ap_Ap_SN_F107_198*.txt")))


@pytest.fixture(scope="module")
def real_dst() -> pd.Series:
    return ix.read_wdc_dst(SHARED_INDICES / "dst_1984-1989_final.wdc")


@needs_shared
def test_real_dst_minimum_and_record_count(real_dst: pd.Series) -> None:
    assert len(real_dst) == 2192 * 24
    assert real_dst.index[0] == ts("1984-01-01 00:00")
    assert real_dst.index[-1] == ts("1989-12-31 23:00")
    assert real_dst.min() == -589.0
    assert real_dst.idxmin() == ts("1989-03-14 01:00")
    assert real_dst[ts("1989-03-14 00:00")] == -583.0
    assert real_dst.index.dtype == np.dtype("datetime64[ns]")


@needs_shared
@pytest.mark.parametrize(("year", "days"), [(1984, 366), (1986, 365), (1988, 366)])
def test_real_kp_one_line_per_day(year: int, days: int) -> None:
    kp = ix.read_gfz_kp(SHARED_INDICES / f"Kp_ap_Ap_SN_F107_{year}.txt")
    assert len(kp) == 8 * days
    assert kp.index[0] == ts(f"{year}-01-01 00:00")
    assert kp.index[-1] == ts(f"{year}-12-31 21:00")
    assert not kp.isna().any()


@needs_shared
def test_real_kp_february_1986(real_kp: pd.Series) -> None:
    assert real_kp[ts("1986-02-09 00:00")] == pytest.approx(8.667)
    assert real_kp[ts("1986-02-09 03:00")] == pytest.approx(7.667)
    assert len(real_kp) == 8 * 2192


@needs_shared
def test_real_celestrak_equals_gfz_after_snapping(real_kp: pd.Series) -> None:
    cel = ix.read_celestrak_kp("1984-01-01", "1990-01-01")
    assert cel.index.equals(real_kp.index)
    np.testing.assert_allclose(cel.to_numpy(), real_kp.to_numpy(), atol=1e-3)


@needs_shared
def test_real_hourly_table_and_storm(real_kp: pd.Series, real_dst: pd.Series) -> None:
    table = ix.hourly_indices(real_kp, real_dst, "1984-01-01", "1990-01-01")
    assert len(table) == 2192 * 24
    assert table.loc[ts("1989-03-14 01:00"), "Dst"] == np.float32(-589.0)
    assert table.loc[ts("1986-02-09 02:00"), "Kp"] == pytest.approx(8.667, abs=1e-3)
    storms = ix.storm_intervals(real_dst, threshold=-100.0)
    worst = min(storms, key=lambda s: s[2])
    assert worst[2] == -589.0
    assert worst[0] <= ts("1989-03-14 01:00") < worst[1]


# ---------------------------------------------------------------------------------------
# Fixtures: GFZ Kp
# ---------------------------------------------------------------------------------------


def test_gfz_fixture_values() -> None:
    kp = ix.read_gfz_kp(FIXTURES / "kp_gfz_small.txt")
    assert len(kp) == 24
    assert kp.name == "Kp"
    assert kp.index[0] == ts("1985-06-01 00:00")
    assert kp.index[-1] == ts("1985-06-03 21:00")
    assert (np.diff(kp.index.to_numpy()) == np.timedelta64(3, "h")).all()
    assert kp[ts("1985-06-01 21:00")] == pytest.approx(6.333)
    assert np.isnan(kp[ts("1985-06-02 06:00")])  # -1.000 = missing
    assert kp.isna().sum() == 1


def test_gfz_fixture_bad_field_count_names_line() -> None:
    path = FIXTURES / "kp_gfz_bad_fields.txt"
    with pytest.raises(ix.IndexFileError, match="line 4: expected 28") as info:
        ix.read_gfz_kp(path)
    assert info.value.line == 4
    assert info.value.path == str(path)
    assert str(path) in str(info.value)


def _gfz_text() -> list[str]:
    return (FIXTURES / "kp_gfz_small.txt").read_text().splitlines()


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("1985 06 02 19511", "1985 06 31 19511", "invalid date 1985-06-31"),
        ("1985 06 02 19511", "1985 06 02 19999", "days since 1932-01-01"),
        ("7.000  6.000", "7.000  6.0x0", "Kp2 '6.0x0' is not a number"),
        ("7.000  6.000", "9.500  6.000", "Kp outside"),
        ("1985 06 02 19511 19511.5", "1985 06 01 19510 19510.5", "duplicate time"),
    ],
)
def test_gfz_malformed_line(old: str, new: str, reason: str) -> None:
    lines = _gfz_text()
    row = next(i for i, ln in enumerate(lines) if "1985 06 02" in ln)
    assert old in lines[row]
    lines[row] = lines[row].replace(old, new)
    with pytest.raises(ix.IndexFileError, match=reason) as info:
        ix.parse_gfz_kp("\n".join(lines), source="mem.txt")
    assert info.value.line == row + 1
    assert str(info.value).startswith(f"mem.txt, line {row + 1}: ")


def test_gfz_header_only_is_an_error() -> None:
    with pytest.raises(ix.IndexFileError, match="no data lines") as info:
        ix.parse_gfz_kp("# header\n#\n")
    assert info.value.line is None


def test_read_gfz_kp_files_overlap(tmp_path: Path) -> None:
    src = FIXTURES / "kp_gfz_small.txt"
    same = tmp_path / "same.txt"
    same.write_text(src.read_text())
    kp = ix.read_gfz_kp_files([src, same])
    assert len(kp) == 24
    changed = tmp_path / "changed.txt"
    changed.write_text(src.read_text().replace("7.000  6.000", "7.333  6.000"))
    with pytest.raises(ix.IndexFileError, match="different Kp for 1985-06-02 00:00"):
        ix.read_gfz_kp_files([src, changed])
    with pytest.raises(ValueError, match="at least one file"):
        ix.read_gfz_kp_files([])


# ---------------------------------------------------------------------------------------
# Fixtures: WDC Dst
# ---------------------------------------------------------------------------------------


def test_wdc_fixture_values() -> None:
    dst = ix.read_wdc_dst(FIXTURES / "dst_small.wdc")
    assert len(dst) == 48
    assert dst.name == "Dst"
    assert dst.index[0] == ts("1985-06-01 00:00")
    assert (np.diff(dst.index.to_numpy()) == np.timedelta64(1, "h")).all()
    assert dst[ts("1985-06-01 07:00")] == -60.0
    # second day: base -1 (x 100 nT) plus the hourly value
    assert dst[ts("1985-06-02 00:00")] == -80.0
    assert dst[ts("1985-06-02 04:00")] == -102.0
    assert dst[ts("1985-06-02 09:00")] == -60.0
    assert np.isnan(dst[ts("1985-06-02 05:00")])  # 9999
    assert dst.isna().sum() == 1


def test_wdc_fixture_bad_value_names_line_and_columns() -> None:
    with pytest.raises(ix.IndexFileError, match=r"line 2: hourly value 05-06 UT \(columns 41-44\)"):
        ix.read_wdc_dst(FIXTURES / "dst_bad_value.wdc")


def _wdc_records() -> list[str]:
    return (FIXTURES / "dst_small.wdc").read_text().splitlines()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda r: r[:-1], "must be 120 characters, found 119"),
        (lambda r: r + " ", "must be 120 characters, found 121"),
        (lambda r: "ASY" + r[3:], "does not start with 'DST'"),
        (lambda r: r[:7] + " " + r[8:], "column 8 must be '\\*'"),
        (lambda r: r[:12] + " " + r[13:], "column 13 must be 'X'"),
        (lambda r: r[:5] + "13" + r[7:], "invalid date 1985-13-02"),
        (lambda r: r[:16] + "  -x" + r[20:], "base value"),
        (lambda r: r[:8] + "01" + r[10:], "duplicate time"),
    ],
)
def test_wdc_malformed_record(edit: object, reason: str) -> None:
    records = _wdc_records()
    assert callable(edit)
    records[1] = edit(records[1])
    with pytest.raises(ix.IndexFileError, match=reason) as info:
        ix.parse_wdc_dst("\n".join(records) + "\n", source="mem.wdc")
    assert info.value.line == 2


def test_wdc_blank_lines_keep_line_numbers() -> None:
    records = _wdc_records()
    text = "\n" + records[0] + "\n\n" + records[1][:100] + "\n"
    with pytest.raises(ix.IndexFileError) as info:
        ix.parse_wdc_dst(text)
    assert info.value.line == 4


def test_fixed_width_ints() -> None:
    fields = np.frombuffer(b"  -5 123-589   0 - 5    12 3 +7 ", dtype=np.uint8).reshape(8, 4)
    values, ok = wdc._fixed_width_ints(fields)
    assert ok.tolist() == [True, True, True, True, False, False, False, False]
    assert values[:4].tolist() == [-5, 123, -589, 0]


# ---------------------------------------------------------------------------------------
# Fixtures: CSV
# ---------------------------------------------------------------------------------------


def test_csv_fixture_values() -> None:
    dst = ix.read_csv_index(FIXTURES / "dst_small.csv", "Dst")
    assert dst.name == "Dst"
    assert dst.index.tolist() == [ts(f"1985-06-01 {h:02d}:00") for h in range(4)]
    # +01:00 converted to UTC; an empty value is missing
    assert dst.iloc[:3].tolist() == [-5.0, -8.0, -12.0]
    assert np.isnan(dst.iloc[3])
    kp = ix.read_csv_index(FIXTURES / "kp_small.csv", "Kp")
    assert kp.iloc[0] == pytest.approx(1.333)
    assert np.isnan(kp.iloc[2])


def test_csv_fixture_bad_time_names_line() -> None:
    with pytest.raises(ix.IndexFileError, match="line 3: time '1985-06-01T25:00:00'"):
        ix.read_csv_index(FIXTURES / "dst_bad_time.csv", "Dst")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("when,value\n", 1, "header must be 'time,value'"),
        ("time,value\n1985-06-01,1,2\n", 2, "expected 2 comma-separated fields, found 3"),
        ("time,value\n1985-06-01,abc\n", 2, "value 'abc' is not a number"),
        ("time,value\n1985-06-01,1\n\n1985-06-01T00:00,2\n", 4, "duplicate time"),
        ("time,value\n1985-06-01,9.5\n", 2, "outside the valid range"),
        ("time,value\n", None, "no rows"),
    ],
)
def test_csv_malformed(text: str, line: int | None, reason: str) -> None:
    with pytest.raises(ix.IndexFileError, match=reason) as info:
        ix.parse_csv_index(text, "Kp")
    assert info.value.line == line


# ---------------------------------------------------------------------------------------
# Dispatchers and CelesTrak
# ---------------------------------------------------------------------------------------


def test_dispatch_by_content(tmp_path: Path) -> None:
    assert ix.sniff_index_file(FIXTURES / "kp_gfz_small.txt") == "gfz"
    assert ix.sniff_index_file(FIXTURES / "dst_small.wdc") == "wdc"
    assert ix.sniff_index_file(FIXTURES / "kp_small.csv") == "csv"
    renamed = tmp_path / "anything.dat"
    renamed.write_text((FIXTURES / "dst_small.wdc").read_text())
    dst = ix.read_dst(renamed)
    assert dst is not None
    assert dst.equals(ix.read_wdc_dst(FIXTURES / "dst_small.wdc"))
    later = tmp_path / "later.csv"
    later.write_text("time,value\n1985-06-04T00:00,2.667\n")
    kp = ix.read_kp([FIXTURES / "kp_gfz_small.txt", later])
    assert len(kp) == 25
    assert kp.iloc[-1] == pytest.approx(2.667)
    # kp_small.csv gives 1.333 where the GFZ file gives 1.000
    with pytest.raises(ix.IndexFileError, match="different Kp for 1985-06-01 00:00"):
        ix.read_kp([FIXTURES / "kp_gfz_small.txt", FIXTURES / "kp_small.csv"])


def test_dispatch_rejects_wrong_index_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ix.IndexFileError, match="holds Dst"):
        ix.read_kp(FIXTURES / "dst_small.wdc")
    with pytest.raises(ix.IndexFileError, match="holds Kp"):
        ix.read_dst(str(FIXTURES / "kp_gfz_small.txt"))
    odd = tmp_path / "odd.txt"
    odd.write_text("<html>not an index</html>\n")
    with pytest.raises(ix.IndexFileError, match="unrecognised index file"):
        ix.read_kp(odd)


def test_read_dst_none_and_read_kp_none() -> None:
    assert ix.read_dst(None) is None
    kp = ix.read_kp(None)
    assert kp.index.is_monotonic_increasing
    assert kp.index[0] < ts("1984-01-01")


def test_celestrak_kp_february_1986_without_warning() -> None:
    celestrak._celestrak_kp_all.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kp = ix.read_celestrak_kp("1986-02-09", "1986-02-10")
    assert caught == []
    assert len(kp) == 8
    assert kp.index[0] == ts("1986-02-09 00:00")
    # CelesTrak's 87 (9-) is GFZ's 8.667, the same float64 (field case 02)
    assert kp.iloc[0] == 8.667
    assert kp.index.dtype == np.dtype("datetime64[ns]")


# ---------------------------------------------------------------------------------------
# Hourly table (forward fill), merge rule, storms
# ---------------------------------------------------------------------------------------


def _kp_series(times: list[str], values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(times), name="Kp")


def test_hourly_kp_forward_fill_within_interval() -> None:
    kp = _kp_series(
        ["1985-06-01 00:00", "1985-06-01 03:00", "1985-06-01 06:00", "1985-06-01 12:00"],
        [2.0, 4.333, np.nan, 5.0],
    )
    table = ix.hourly_indices(kp, None, "1985-06-01 00:00", "1985-06-01 18:00")
    assert len(table) == 18
    expected = [2.0] * 3 + [4.333] * 3 + [np.nan] * 6 + [5.0] * 3 + [np.nan] * 3
    np.testing.assert_array_equal(table["Kp"].to_numpy(), np.array(expected, dtype=np.float32))
    assert table["Dst"].isna().all()
    assert table["Kp"].dtype == np.float32
    assert table["Dst"].dtype == np.float32
    assert table.index.dtype == np.dtype("datetime64[ns]")


def test_hourly_range_floor_ceil_and_mid_interval_start() -> None:
    kp = _kp_series(["1985-06-01 00:00", "1985-06-01 03:00"], [1.0, 2.0])
    dst_times = ["1985-06-01 01:00", "1985-06-01 02:00", "1985-06-01 04:00"]
    dst = pd.Series([-10.0, -20.0, -30.0], index=pd.DatetimeIndex(dst_times))
    table = ix.hourly_indices(kp, dst, ts("1985-06-01 01:30"), ts("1985-06-01 04:10"))
    assert table.index.tolist() == [ts(f"1985-06-01 {h:02d}:00") for h in (1, 2, 3, 4)]
    assert table["Kp"].tolist() == [1.0, 1.0, 2.0, 2.0]
    np.testing.assert_array_equal(
        table["Dst"].to_numpy(), np.array([-10, -20, np.nan, -30], dtype=np.float32)
    )
    empty = ix.hourly_indices(None, None, "1985-06-01 02:00", "1985-06-01 02:00")
    assert empty.empty
    assert list(empty.columns) == ["Dst", "Kp"]
    with pytest.raises(ValueError, match="before start"):
        ix.hourly_indices(None, None, "1985-06-02", "1985-06-01")


def test_hourly_rejects_duplicates() -> None:
    kp = _kp_series(["1985-06-01 00:00", "1985-06-01 00:00"], [1.0, 2.0])
    with pytest.raises(ValueError, match="duplicate times"):
        ix.hourly_indices(kp, None, "1985-06-01", "1985-06-02")


def test_merge_floors_to_the_ut_hour() -> None:
    kp = _kp_series(["1985-06-01 00:00"], [3.0])
    dst = pd.Series([-7.0, -9.0], index=pd.DatetimeIndex(["1985-06-01 01:00", "1985-06-01 02:00"]))
    table = ix.hourly_indices(kp, dst, "1985-06-01 00:00", "1985-06-01 03:00")
    times = np.array(
        [
            "1985-06-01T01:59:59.999",
            "1985-06-01T02:00:00",
            "1985-06-01T00:00:00",
            "1985-06-01T03:00:00",
            "NaT",
            "1985-05-31T23:59:59",
        ],
        dtype="datetime64[ns]",
    )
    dst_out, kp_out = ix.merge_indices(times, table)
    assert dst_out.dtype == np.float32
    assert kp_out.dtype == np.float32
    np.testing.assert_array_equal(
        dst_out, np.array([-7, -9, np.nan, np.nan, np.nan, np.nan], dtype=np.float32)
    )
    np.testing.assert_array_equal(
        kp_out, np.array([3, 3, 3, np.nan, np.nan, np.nan], dtype=np.float32)
    )
    # other datetime64 units give the same answer
    dst_us, _ = ix.merge_indices(times.astype("datetime64[us]"), table)
    np.testing.assert_array_equal(dst_us, dst_out)


def test_merge_vectorised_on_many_spins() -> None:
    hours = pd.date_range("1985-06-01", periods=48, freq="h")
    table = pd.DataFrame(
        {"Dst": np.arange(48, dtype=np.float32), "Kp": np.zeros(48, dtype=np.float32)},
        index=hours,
    )
    rng = np.random.default_rng(1)
    offsets = rng.integers(0, 48 * 3600 * 10**9, size=500_000)
    times = np.datetime64("1985-06-01", "ns") + offsets.astype("timedelta64[ns]")
    dst, _ = ix.merge_indices(times, table)
    expected = offsets // (3600 * 10**9)
    np.testing.assert_array_equal(dst, expected.astype(np.float32))


def test_merge_rejects_bad_input() -> None:
    table = ix.hourly_indices(None, None, "1985-06-01", "1985-06-02")
    with pytest.raises(TypeError, match="datetime64"):
        ix.merge_indices(np.arange(3.0), table)
    with pytest.raises(ValueError, match="lacks column"):
        ix.merge_indices(np.array(["1985-06-01"], dtype="datetime64[ns]"), table[["Dst"]])


def test_storm_intervals_synthetic() -> None:
    """The build's storm list follows the one rule of awa.chem.storms (no minimum length)."""
    hours = pd.date_range("1985-06-01", periods=60, freq="h")
    values = np.full(60, -20.0)
    values[5:8] = [-60, -80, -55]  # run A: 05-08
    values[12:14] = [-70, -90]  # run B: 12-14, 5 h after A's last stormy hour -> merged with A
    values[30] = -200  # run C: one hour, alone: kept (no minimum length)
    values[40:42] = [-60, -60]  # run D: broken by a NaN at 42 ...
    values[42] = np.nan
    values[43:45] = [-65, -52]  # ... run E: 2 h after D -> merged with D
    values[52:54] = [-50, -51]  # run F: 8 h after E (one at the threshold) -> its own storm
    storms = ix.storm_intervals(pd.Series(values, index=hours), threshold=-50.0)
    assert storms == [
        (ts("1985-06-01 05:00"), ts("1985-06-01 14:00"), -90.0),
        (ts("1985-06-02 06:00"), ts("1985-06-02 07:00"), -200.0),
        (ts("1985-06-02 16:00"), ts("1985-06-02 21:00"), -65.0),
        (ts("1985-06-03 04:00"), ts("1985-06-03 06:00"), -51.0),
    ]
    assert ix.storm_intervals(pd.Series(values, index=hours), threshold=-500.0) == []
    # the app's default threshold, -100 nT: only run C
    assert [s[2] for s in ix.storm_intervals(pd.Series(values, index=hours))] == [-200.0]


def test_storm_intervals_missing_hour_breaks_run() -> None:
    index = pd.DatetimeIndex(["1985-06-01 00:00", "1985-06-01 01:00", "1985-06-01 09:00"])
    storms = ix.storm_intervals(pd.Series([-60.0, -70.0, -80.0], index=index), threshold=-50.0)
    assert storms == [
        (ts("1985-06-01 00:00"), ts("1985-06-01 02:00"), -70.0),
        (ts("1985-06-01 09:00"), ts("1985-06-01 10:00"), -80.0),
    ]


# ---------------------------------------------------------------------------------------
# Downloads (no real network: urlopen is replaced or URLs are local)
# ---------------------------------------------------------------------------------------


def _raise(exc: BaseException) -> object:
    def fake(*args: object, **kwargs: object) -> object:
        raise exc

    return fake


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (urllib.error.URLError(socket.gaierror(-3, "Temporary failure")), "offline"),
        (urllib.error.URLError(TimeoutError("timed out")), "timed out after 0.5 s"),
        (TimeoutError("timed out"), "timed out after 0.5 s"),
        (urllib.error.HTTPError("u", 404, "Not Found", None, None), "HTTP 404 Not Found"),  # type: ignore[arg-type]
    ],
)
def test_download_failure_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exc: BaseException, reason: str
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", _raise(exc))
    with pytest.raises(ix.IndexDownloadError, match=reason) as info:
        ix.download_gfz_kp([1986], tmp_path, timeout=0.5)
    message = str(info.value)
    assert "\n" not in message
    assert "Kp_ap_Ap_SN_F107_1986.txt" in message
    assert "local index files" in message
    with pytest.raises(ix.IndexDownloadError, match=reason) as info:
        ix.download_dst(1989, tmp_path, timeout=0.5)
    assert "dst8901.for.request" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_download_unreachable_url(tmp_path: Path) -> None:
    with pytest.raises(ix.IndexDownloadError, match="cannot download http://127.0.0.1:9/"):
        ix.download_gfz_kp(
            [1986], tmp_path, timeout=2.0, url_template="http://127.0.0.1:9/Kp_{year}.txt"
        )


def test_download_gfz_from_local_url(tmp_path: Path) -> None:
    src = tmp_path / "server"
    src.mkdir()
    (src / "Kp_1985.txt").write_bytes((FIXTURES / "kp_gfz_small.txt").read_bytes())
    template = src.as_uri() + "/Kp_{year}.txt"
    out = ix.download_gfz_kp([1985], tmp_path / "dl", url_template=template)
    assert out == [tmp_path / "dl" / "Kp_ap_Ap_SN_F107_1985.txt"]
    assert ix.read_gfz_kp(out[0]).equals(ix.read_gfz_kp(FIXTURES / "kp_gfz_small.txt"))
    # an existing file is kept (no request), unless overwrite
    again = ix.download_gfz_kp(1985, tmp_path / "dl", url_template="http://127.0.0.1:9/x")
    assert again == out
    (src / "Kp_1985.txt").write_text("<html>maintenance</html>\n")
    with pytest.raises(ix.IndexDownloadError, match="not GFZ Kp"):
        ix.download_gfz_kp(1985, tmp_path / "dl", url_template=template, overwrite=True)


def test_download_dst_joins_months(tmp_path: Path) -> None:
    src = tmp_path / "server"
    src.mkdir()
    record = (FIXTURES / "dst_small.wdc").read_text().splitlines()[0]
    for month in range(1, 13):
        line = record[:5] + f"{month:02d}" + record[7:]
        (src / f"dst85{month:02d}.txt").write_text(line + "\r\n")
    template = src.as_uri() + "/dst{yy:02d}{month:02d}.txt"
    out = ix.download_dst([1985], tmp_path / "dl", url_template=template)
    assert out == [tmp_path / "dl" / "dst_1985_final.wdc"]
    dst = ix.read_wdc_dst(out[0])
    assert len(dst) == 12 * 24
    assert dst.index[0] == ts("1985-01-01 00:00")
    assert dst[ts("1985-12-01 07:00")] == -60.0


def test_download_years_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="year must be an integer"):
        ix.download_dst(["1985"], tmp_path)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no years"):
        ix.download_gfz_kp([], tmp_path)
