"""Tests of data_build.verify: the per-file verification report (issue section 6)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from awa.chem.schema import EPOCH
from data_build.fits import Quirks, parse_hdus, read_day
from data_build.verify import (
    BAD,
    GOOD,
    WARNINGS,
    FileReport,
    TimeBlock,
    VerifyReport,
    find_blocks,
    format_report,
    list_fits_files,
    report_from_json,
    report_to_json,
    verify_day,
    verify_files,
)
from tests.fitsfactory import build_hdul, default_columns, fits_bytes, seconds, write_fits

T0 = seconds("1986-02-09T00:00:30")


def _spins(
    tt: list[float], clipped: list[bool] | None = None, copies: list[int] = ()
) -> pd.DataFrame:
    """A minimal spins table with whole-second times ``tt`` (flags set by hand)."""
    n = len(tt)
    spins = parse_hdus(build_hdul(default_columns(1))).spins.iloc[:n].copy()
    whole = np.floor(np.asarray(tt, dtype=np.float64)).astype(np.int64)
    spins["TT"] = whole
    spins["SpinStartTime"] = (EPOCH + pd.to_timedelta(whole, unit="s")).to_numpy()
    spins["duplicate"] = np.isin(np.arange(n), copies)
    if clipped is not None:
        spins["clipped"] = clipped
    return spins


def _good_file(path: Path, n_cycles: int = 2, start: float = T0) -> Path:
    return write_fits(build_hdul(default_columns(n_cycles, start=start)), path)


def _duplicate_file(path: Path) -> Path:
    cols = default_columns(2, start=T0 + 86400.0)
    cols["TT"][7] = cols["TT"][6]
    cols["TT"][8] = cols["TT"][6]
    cols["L"][3] = 0.0
    return write_fits(build_hdul(cols), path)


# ---------------------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------------------


def test_blocks_split_on_gaps_over_60_seconds() -> None:
    t = T0
    spins = _spins([t, t + 6, t + 66, t + 127, t + 133])  # steps 6, 60, 61, 6
    blocks = find_blocks(spins)
    start = pd.Timestamp("1986-02-09 00:00:30")
    assert blocks == [
        TimeBlock(start, start + pd.Timedelta(seconds=66), 3),
        TimeBlock(start + pd.Timedelta(seconds=127), start + pd.Timedelta(seconds=133), 2),
    ]


def test_blocks_sort_times_and_skip_clipped_and_duplicates() -> None:
    t = T0
    spins = _spins(
        [t + 12, t, t + 6, t + 6, t + 500, t + 5000],
        clipped=[False, False, False, False, False, True],
        copies=[3],
    )
    blocks = find_blocks(spins)
    start = pd.Timestamp("1986-02-09 00:00:30")
    assert blocks == [
        TimeBlock(start, start + pd.Timedelta(seconds=12), 3),
        TimeBlock(start + pd.Timedelta(seconds=500), start + pd.Timedelta(seconds=500), 1),
    ]


def test_blocks_of_a_generated_day_with_one_gap() -> None:
    cols = default_columns(2)
    cols["TT"][32:] += 3600.0  # a gap between cycles 0 and 1
    cols["ST"][1] += 3600.0
    blocks = find_blocks(parse_hdus(build_hdul(cols)).spins)
    assert [b.spins for b in blocks] == [32, 32]
    tt = np.floor(cols["TT"]).astype(np.int64) - np.int64(np.floor(T0))
    start = pd.Timestamp("1986-02-09 00:00:30")
    assert blocks[0].end == start + pd.Timedelta(seconds=int(tt[31]))
    assert blocks[1].start == start + pd.Timedelta(seconds=int(tt[32]))


def test_no_blocks_without_real_spins() -> None:
    day = parse_hdus(build_hdul(default_columns(0)))
    assert find_blocks(day.spins) == []


# ---------------------------------------------------------------------------------------
# Per-file status
# ---------------------------------------------------------------------------------------


def test_verify_day_good_and_warnings(tmp_path: Path) -> None:
    good = verify_day(read_day(_good_file(tmp_path / "1986_040.fits.gz")))
    assert good.status == GOOD
    assert good.warnings == []
    assert good.day == "1986-02-09"
    assert len(good.blocks) == 1
    assert good.blocks[0].spins == 64

    warn = verify_day(read_day(_duplicate_file(tmp_path / "1986_041.fits.gz")))
    assert warn.status == WARNINGS
    assert warn.warnings == [
        "2 repeated spin times",
        "2 spin times rebuilt from the cycle structure (kept, flagged)",
        "1 L fill values",
    ]
    assert warn.quirks is not None
    assert warn.quirks.duplicate_spins == 2
    assert warn.quirks.times_rebuilt == 2
    assert warn.blocks[0].spins == 64  # no spin lost
    assert warn.day == "1986-02-10"  # from the name, not the data


def test_verify_day_takes_the_day_from_data_when_name_is_not_standard() -> None:
    report = verify_day(parse_hdus(build_hdul(default_columns(1))))
    assert report.name == "<memory>"
    assert report.day == "1986-02-09"


def test_empty_day_is_a_warning() -> None:
    report = verify_day(parse_hdus(build_hdul(default_columns(0))))
    assert report.status == WARNINGS
    assert report.warnings == ["no spins"]


def test_calibration_and_artefacts_alone_are_not_warnings() -> None:
    cols = default_columns(2)
    cols["CSHK"][1] = 4
    cols["PHA"][0, 1] = 1019
    report = verify_day(parse_hdus(build_hdul(cols)))
    assert report.status == GOOD
    assert report.quirks is not None
    assert report.quirks.calibration_cycles == 1
    assert report.quirks.tof_1019 == 1


# ---------------------------------------------------------------------------------------
# Many files: summary line, exit code, text and JSON
# ---------------------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> list[Path]:
    good = _good_file(tmp_path / "1986_040.fits.gz")
    warn = _duplicate_file(tmp_path / "1986_041.fits.gz")
    bad = tmp_path / "1986_042.fits.gz"
    bad.write_bytes(gzip.compress(fits_bytes(build_hdul(default_columns(1))))[:500])
    missing = tmp_path / "1986_043.fits.gz"
    return [good, warn, bad, missing]


def test_verify_files_mixed(mixed: list[Path]) -> None:
    report = verify_files(mixed)
    assert [f.status for f in report.files] == [GOOD, WARNINGS, BAD, BAD]
    assert [f.name for f in report.files] == [p.name for p in mixed]
    assert report.files[2].reason == "truncated gzip (compressed stream ends early)"
    assert report.files[3].reason == "file not found"
    assert report.files[3].day == "1986-02-12"
    assert report.files[2].quirks is None
    assert (report.n_good, report.n_warnings, report.n_bad) == (1, 1, 2)
    assert report.exit_code == 1
    assert report.total_quirks.n_spins == 128


def test_format_report_text(mixed: list[Path]) -> None:
    text = format_report(verify_files(mixed))
    lines = text.splitlines()
    assert lines[-1] == "1 good, 1 with warnings, 2 bad"
    assert "1986_040.fits.gz 1986-02-09  good" in lines
    assert (
        "1986_041.fits.gz 1986-02-10  WARNINGS: 2 repeated spin times;"
        " 2 spin times rebuilt from the cycle structure (kept, flagged); 1 L fill values" in lines
    )
    assert (
        "1986_042.fits.gz 1986-02-11  BAD: truncated gzip (compressed stream ends early)" in lines
    )
    assert "1986_043.fits.gz 1986-02-12  BAD: file not found" in lines
    assert "    1986-02-09 00:00:30 .. 1986-02-09 00:06:22      64 spins" in lines
    assert any(line.startswith("  spins 64  cycles 2 (calibration 0)") for line in lines)


def test_all_good_exit_zero(tmp_path: Path) -> None:
    paths = [
        _good_file(tmp_path / f"1986_04{i}.fits.gz", start=T0 + 86400.0 * i) for i in range(3)
    ]
    report = verify_files(paths)
    assert report.exit_code == 0
    assert format_report(report).splitlines()[-1] == "3 good, 0 with warnings, 0 bad"


def test_warnings_only_exit_zero(tmp_path: Path) -> None:
    report = verify_files([_duplicate_file(tmp_path / "1986_041.fits.gz")])
    assert report.exit_code == 0
    assert report.summary_line == "0 good, 1 with warnings, 0 bad"


def test_no_files() -> None:
    report = verify_files([])
    assert report.exit_code == 0
    assert format_report(report).splitlines()[-1] == "0 good, 0 with warnings, 0 bad"
    assert report_to_json(report)["summary"] == {
        "good": 0,
        "warnings": 0,
        "bad": 0,
        "line": "0 good, 0 with warnings, 0 bad",
        "repeats": [],
    }


def test_json_round_trip(mixed: list[Path], tmp_path: Path) -> None:
    report = verify_files(mixed)
    data = report_to_json(report)
    out = tmp_path / "report.json"
    out.write_text(json.dumps(data))
    loaded = json.loads(out.read_text())
    assert loaded == data
    assert loaded["exit_code"] == 1
    assert loaded["summary"]["line"] == "1 good, 1 with warnings, 2 bad"
    first = loaded["files"][0]
    assert first["status"] == "good"
    assert first["blocks"] == [
        {"start": "1986-02-09T00:00:30", "end": "1986-02-09T00:06:22", "spins": 64}
    ]
    assert first["quirks"]["n_cycles"] == 2
    assert loaded["files"][2]["quirks"] is None
    back = report_from_json(loaded)
    assert back == report
    assert format_report(back) == format_report(report)


def test_report_dataclasses_compare_by_value() -> None:
    a = VerifyReport([FileReport("x", "x", BAD, reason="r")])
    b = VerifyReport([FileReport("x", "x", BAD, reason="r")])
    assert a == b
    b.files[0].quirks = Quirks()
    assert a != b


def test_list_fits_files(tmp_path: Path) -> None:
    for name in ["1986_041.fits.gz", "1986_040.fits", "notes.txt", "1986_039.fits.gz"]:
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_fits_files(tmp_path)] == [
        "1986_039.fits.gz",
        "1986_040.fits",
        "1986_041.fits.gz",
    ]
    with pytest.raises(NotADirectoryError, match="not a directory"):
        list_fits_files(tmp_path / "nope")


@pytest.mark.parametrize("name", ["1986_400.fits.gz", "1985_366.fits.gz", "1986_000.fits.gz"])
def test_a_file_named_for_no_day_is_bad(tmp_path: Path, name: str) -> None:
    """The one day rule (awa.chem.days): the build and verify refuse the same names."""
    path = write_fits(build_hdul(default_columns(3, start=T0)), tmp_path / name)
    report = verify_files([path])
    (only,) = report.files
    assert only.status == BAD
    assert only.reason.startswith("file name names no day: day of year")
    assert only.day == ""
    assert "1 bad" in format_report(report)


def test_a_leap_day_file_is_good(tmp_path: Path) -> None:
    start = seconds("1984-12-31T00:00:30")
    path = write_fits(build_hdul(default_columns(3, start=start)), tmp_path / "1984_366.fits.gz")
    (only,) = verify_files([path]).files
    assert only.status != BAD
    assert only.day == "1984-12-31"
