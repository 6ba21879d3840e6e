"""One observation, counted once; every readable file read (issue 10, field case
03-same-day-gz-and-plain)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from awa.chem import schema
from data_build import stores
from data_build.fits import read_day
from data_build.verify import format_report, verify_day, verify_files
from tests import fitsfactory as ff

#: Field case 03's first observation: a 128-spin file with 4 events per spin.
N_CYCLES = 4


def _day(path: Path, *, start: float = ff.DEFAULT_START, seed: int = 1) -> Path:
    cols = ff.default_columns(N_CYCLES, start=start, seed=seed)
    return ff.write_fits(ff.build_hdul(cols), path)


def _build(files: list[Path], out: Path) -> stores.BuildResult:
    return stores.build_stores(files, out, workers=1, progress=None)


def _rows(out: Path) -> tuple[int, int, int]:
    rates = pd.read_hdf(out / schema.RATES_STORE.filename, schema.RATES_STORE.key)
    pha = pd.read_hdf(out / schema.PHA_STORE.filename, schema.PHA_STORE.key)
    assert isinstance(rates, pd.DataFrame)
    assert isinstance(pha, pd.DataFrame)
    return len(rates), int(rates["SpinStartTime"].duplicated().sum()), len(pha)


# ---------------------------------------------------------------------------------------
# Field case 03: the same day as YYYY_DDD.fits and YYYY_DDD.fits.gz
# ---------------------------------------------------------------------------------------


def test_same_day_as_fits_and_fits_gz_is_counted_once(tmp_path: Path) -> None:
    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    gz = _day(fits_dir / "1986_040.fits.gz")
    (fits_dir / "1986_040.fits").write_bytes(gzip.decompress(gz.read_bytes()))  # gunzip -k

    single = _build([gz], tmp_path / "single")
    both = _build(stores.find_fits(fits_dir), tmp_path / "both")
    assert _rows(tmp_path / "single" / "") == (128, 0, 512)
    assert _rows(tmp_path / "both") == _rows(tmp_path / "single")
    assert both.rows == single.rows
    assert both.quirks == single.quirks  # the twin's quirks are not counted a second time
    assert both.counts["events_science"] == single.counts["events_science"] == 512
    assert both.counts["spins_repeated_across_files"] == 128
    assert both.repeats == [
        "1986_040.fits: all 128 spins repeat 1986_040.fits.gz (same time and data),"
        " kept once, from 1986_040.fits.gz"
    ]
    assert "REPEATED: 1986_040.fits: all 128 spins repeat 1986_040.fits.gz" in both.summary()
    cov = json.loads((tmp_path / "both" / schema.COVERAGE_FILE).read_text())
    assert [d["date"] for d in cov["days"]] == ["1986-02-09"]  # the day listed once
    assert cov["days"][0]["file"] == "1986_040.fits.gz"
    assert (
        "also given as 1986_040.fits (the same spins, counted once)" in cov["days"][0]["warnings"]
    )

    report = verify_files(sorted(fits_dir.iterdir()))
    plain, packed = report.files  # given in name order: .fits first
    assert plain.repeat_of == "1986_040.fits.gz"
    assert plain.repeated_spins == 128
    assert packed.repeat_of == ""
    text = format_report(report)
    assert (
        "1986_040.fits repeats 1986_040.fits.gz: all 128 spins, counted once"
        " (in 1986_040.fits.gz), day 1986-02-09" in text.splitlines()
    )


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    path = _day(tmp_path / "1986_040.fits.gz")
    result = _build([path, path], tmp_path / "out")
    assert _rows(tmp_path / "out") == (128, 0, 512)
    assert result.repeats == [f"{path} was given twice: read once"]
    report = verify_files([path, path])
    assert report.files[1].repeat_of.startswith("1986_040.fits.gz")
    assert "the same file was given twice: read once" in report.files[1].warnings


def test_overlapping_files_count_the_overlap_once(tmp_path: Path) -> None:
    cols = ff.default_columns(6)
    first = {k: (v[: 4 * 32] if len(v) == 6 * 32 else v[:4]) for k, v in cols.items()}
    second = {k: (v[2 * 32 :] if len(v) == 6 * 32 else v[2:]) for k, v in cols.items()}
    a = ff.write_fits(ff.build_hdul(first), tmp_path / "1986_040.fits.gz")
    b = ff.write_fits(ff.build_hdul(second), tmp_path / "1986_041.fits.gz")
    (tmp_path / "whole").mkdir()
    whole = ff.write_fits(ff.build_hdul(cols), tmp_path / "whole" / "1986_040.fits.gz")
    result = _build([a, b], tmp_path / "out")
    _build([whole], tmp_path / "ref")
    assert _rows(tmp_path / "out") == _rows(tmp_path / "ref") == (192, 0, 768)
    assert result.counts["spins_repeated_across_files"] == 64
    assert result.counts["events_science"] == 768  # what the store holds
    hk = pd.read_hdf(tmp_path / "out" / schema.HK_STORE.filename, schema.HK_STORE.key)
    assert isinstance(hk, pd.DataFrame)
    assert len(hk) == 6  # the repeated cycles once
    assert result.repeats == [
        "1986_041.fits.gz: 64 of 128 spins repeat 1986_040.fits.gz (same time and data),"
        " kept once, from 1986_040.fits.gz"
    ]
    report = verify_files([a, b])
    assert (report.files[1].repeat_of, report.files[1].repeated_spins) == ("1986_040.fits.gz", 64)


@pytest.mark.parametrize("other", ["1986_041.fits.gz", "1986_039.fits.gz"])
def test_other_spins_at_the_same_times_are_a_conflict_kept_once(tmp_path: Path, other: str) -> None:
    """Same times, other data, a name of another day: the file named for its data's day wins."""
    a = _day(tmp_path / "1986_040.fits.gz", seed=1)
    b = _day(tmp_path / other, seed=2)  # the times of 1986-02-09, other data
    result = _build([a, b], tmp_path / "out")
    _build([a], tmp_path / "ref")
    assert _rows(tmp_path / "out") == _rows(tmp_path / "ref") == (128, 0, 512)
    assert result.counts["spins_conflicting_across_files"] == 128
    assert result.counts["hk_cycles_conflicting_across_files"] == N_CYCLES
    assert result.counts["events_science"] == 512
    assert result.repeats == []
    line = f"{other}: 128 spins have the times of 1986_040.fits.gz with other data;"
    assert result.conflicts == [line + " kept 1986_040.fits.gz's"]
    assert "CONFLICT: " + line in result.summary()
    for spec in (schema.HK_STORE, schema.ME_STORE):
        df = pd.read_hdf(tmp_path / "out" / spec.filename, spec.key)
        ref = pd.read_hdf(tmp_path / "ref" / spec.filename, spec.key)
        assert isinstance(df, pd.DataFrame)
        assert isinstance(ref, pd.DataFrame)
        assert df.equals(ref)  # no cycle start twice; the kept cycles are 1986_040's
    rates = pd.read_hdf(tmp_path / "out" / schema.RATES_STORE.filename, schema.RATES_STORE.key)
    ref_rates = pd.read_hdf(tmp_path / "ref" / schema.RATES_STORE.filename, schema.RATES_STORE.key)
    assert isinstance(rates, pd.DataFrame)
    assert isinstance(ref_rates, pd.DataFrame)
    assert rates.equals(ref_rates)

    text = format_report(verify_files([a, b]))
    assert f"{other}: named 1986-02-{10 if '041' in other else '08'} but holds 1986-02-09" in text
    later, first = (other, "1986_040.fits.gz") if "041" in other else ("1986_040.fits.gz", other)
    assert f"{later}: 128 spins have the times of {first} with other data" in text
    assert "the build keeps 1986_040.fits.gz's" in text


def test_a_partly_changed_copy_under_another_name_is_stored_once(tmp_path: Path) -> None:
    """Most spins repeat, a few differ in data at the same times (the tester's case, small)."""
    cols = ff.default_columns(N_CYCLES, seed=1)
    a = ff.write_fits(ff.build_hdul(cols), tmp_path / "1986_040.fits.gz")
    changed = {k: v.copy() for k, v in cols.items()}
    changed["DR"][40:45, 1] += 7  # five spins of the second cycle, other data, same times
    b = ff.write_fits(ff.build_hdul(changed), tmp_path / "1986_048.fits.gz")
    result = _build([a, b], tmp_path / "out")
    assert _rows(tmp_path / "out") == (128, 0, 512)
    assert result.counts["spins_repeated_across_files"] == 123
    assert result.counts["spins_conflicting_across_files"] == 5
    assert result.conflicts == [
        "1986_048.fits.gz: 5 spins have the times of 1986_040.fits.gz with other data;"
        " kept 1986_040.fits.gz's"
    ]
    report = verify_files([b, a])
    assert report.files[0].data_day == "1986-02-09"
    assert "named 1986-02-17 but holds 1986-02-09" in report.files[0].warnings
    assert (report.files[0].repeated_spins, report.files[0].conflicting_spins) == (123, 5)
    assert "1986_048.fits.gz: named 1986-02-17 but holds 1986-02-09" in format_report(report)


# ---------------------------------------------------------------------------------------
# What gunzip and astropy read, AWA reads
# ---------------------------------------------------------------------------------------


def test_a_second_gzip_member_is_read_like_gunzip_does(tmp_path: Path) -> None:
    a = ff.fits_bytes(ff.build_hdul(ff.default_columns(2)))
    b = ff.fits_bytes(ff.build_hdul(ff.default_columns(2, start=ff.DEFAULT_START + 400)))
    path = tmp_path / "1986_040.fits.gz"
    path.write_bytes(gzip.compress(a) + gzip.compress(b))  # cat a.gz b.gz
    if shutil.which("gunzip"):
        import subprocess

        out = subprocess.run(["gunzip", "-c", str(path)], capture_output=True, check=True)
        assert out.stdout == a + b  # gunzip gives both members, one after the other
    day = read_day(path)
    assert day.quirks.n_spins == 128
    assert day.quirks.n_cycles == 4
    assert len(day.events) == 2 * 64 * 4
    assert day.spins["cycle"].iloc[-1] == 3
    assert day.events["spin"].iloc[-1] == 127
    assert "2 CHEM files concatenated (e.g. gzip members): all read" in day.notes
    assert "2 CHEM files concatenated (e.g. gzip members): all read" in verify_day(day).warnings


def test_the_same_member_twice_counts_once(tmp_path: Path) -> None:
    one = gzip.compress(ff.fits_bytes(ff.build_hdul(ff.default_columns(2))))
    path = tmp_path / "1986_040.fits.gz"
    path.write_bytes(one + one)
    day = read_day(path)
    assert day.quirks.n_spins == 128
    assert day.quirks.exact_copies == 64
    kept = ~(day.spins["clipped"] | day.spins["duplicate"])
    assert int(kept.sum()) == 64


def test_extra_hdus_are_read_past_and_named(tmp_path: Path) -> None:
    hdul = ff.build_hdul(ff.default_columns(2))
    from astropy.io import fits

    hdul.append(fits.ImageHDU(np.zeros((2, 2), dtype=np.int16), name="EXTRA"))
    day = read_day(ff.write_fits(hdul, tmp_path / "1986_040.fits.gz"))
    assert day.quirks.n_spins == 64
    assert "ignored HDUs 5-5: beyond the layout" in day.notes


# ---------------------------------------------------------------------------------------
# A count names its cause
# ---------------------------------------------------------------------------------------


def test_repeats_from_float32_times_name_their_cause(tmp_path: Path) -> None:
    hdul = ff.build_hdul(ff.default_columns(4), formats={"TT": "E"})
    report = verify_files([ff.write_fits(hdul, tmp_path / "1986_040.fits.gz")])
    warnings = report.files[0].warnings
    repeated = [w for w in warnings if "repeated spin times" in w]
    assert len(repeated) == 1
    assert repeated[0].endswith(
        "(cause: TT stored as float32, whose steps are 64 s at the mission's dates)"
    )
    assert "TT stored as float32" in format_report(report)


@pytest.mark.parametrize("copies", [0, 3])
def test_build_summary_lists_rebuilt_times(tmp_path: Path, copies: int) -> None:
    cols = ff.default_columns(N_CYCLES)
    cols["TT"][10] = cols["TT"][9]  # a distinct spin with a repeated time
    cols["TT"][40] = 0.0  # a clipped time
    for row in range(50, 50 + copies):
        for name in ("TT", "L", "VS", "PHA", "DR", "SBR"):
            cols[name][row + 20] = cols[name][row]  # byte-identical copies
    path = ff.write_fits(ff.build_hdul(cols), tmp_path / "1986_040.fits.gz")
    result = _build([path], tmp_path / "out")
    assert result.quirks["times_rebuilt"] == 2
    assert result.quirks["exact_copies"] == copies
    assert result.rows[schema.RATES_STORE.filename] == 128 - copies
    assert (
        f"  2 spins kept with a time rebuilt from the cycle structure (Quality bit 8); "
        f"dropped: {copies} exact copies, 0 clipped spins without cycle structure"
        in result.summary().splitlines()
    )
    rates = pd.read_hdf(tmp_path / "out" / schema.RATES_STORE.filename, "ampte_rates")
    assert isinstance(rates, pd.DataFrame)
    flagged = (rates["Quality"].to_numpy() & schema.QUALITY_TIME_REBUILT) != 0
    assert flagged.sum() == 2
