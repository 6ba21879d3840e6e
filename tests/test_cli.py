"""The awa-build command line: exit codes, messages, and the demo path end to end."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from awa.chem import schema
from data_build import cli, indices
from tests import fitsfactory as ff


def _good_file(directory: Path, name: str = "1986_040.fits.gz") -> Path:
    cols = ff.default_columns(3, start=ff.seconds("1986-02-09T00:00:30"))
    return ff.write_fits(ff.build_hdul(cols), directory / name)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1986-02-05", dt.date(1986, 2, 5)),
        ("1986-036", dt.date(1986, 2, 5)),
        ("1984-366", dt.date(1984, 12, 31)),
    ],
)
def test_parse_day(text: str, day: dt.date) -> None:
    assert cli.parse_day(text) == day


@pytest.mark.parametrize("text", ["1986-367", "1985-366", "86-02-05", "yesterday", "1986-000"])
def test_parse_day_rejects_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(cli.UsageError, match="YYYY-MM-DD"):
        cli.parse_day(text)


def test_bad_start_day_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["simulate", "--start", "1986-13-01", "--out", str(tmp_path)])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("awa-build simulate: not a day: '1986-13-01'")
    assert "Traceback" not in err


def test_verify_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    _good_file(fits_dir)
    assert cli.main(["verify", "--fits", str(fits_dir)]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "1 good, 0 with warnings, 0 bad"
    (fits_dir / "1986_041.fits.gz").write_bytes(b"\x1f\x8b\x08broken")
    report = tmp_path / "v.json"
    assert cli.main(["verify", "--fits", str(fits_dir), "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert "1 good, 0 with warnings, 1 bad" in out
    data = json.loads(report.read_text())
    assert data["summary"]["bad"] == 1
    assert data["files"][1]["name"] == "1986_041.fits.gz"


def test_build_of_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["build", "--fits", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_build_with_a_bad_index_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    _good_file(fits_dir)
    bad_dst = Path(__file__).parent / "fixtures" / "indices" / "dst_bad_value.wdc"
    status = cli.main(
        ["build", "--fits", str(fits_dir), "--out", str(tmp_path / "o"), "--dst", str(bad_dst)]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "dst_bad_value.wdc" in err
    assert not (tmp_path / "o" / schema.PHA_STORE.filename).exists()


def test_build_lists_bad_files_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    _good_file(fits_dir)
    (fits_dir / "1986_041.fits.gz").write_bytes(b"SIMPLE  =   nonsense")
    status = cli.main(
        [
            "build",
            "--fits",
            str(fits_dir),
            "--out",
            str(tmp_path / "o"),
            "--no-kp",
            "--workers",
            "1",
        ]
    )
    assert status == 1
    out = capsys.readouterr().out
    assert "FAILED 1986_041.fits.gz" in out
    assert (tmp_path / "o" / schema.PHA_STORE.filename).exists()


def test_demo_offline_builds_without_dst_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def offline(*_a: object, **_k: object) -> list[Path]:
        raise indices.IndexDownloadError("host name not resolved (offline?)")

    monkeypatch.delenv("AWA_DST_FILE", raising=False)
    monkeypatch.delenv("AWA_KP_FILE", raising=False)
    monkeypatch.setattr(indices, "download_dst", offline)
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--days", "1", "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "building without Dst" in text
    rates = pd.read_hdf(out / schema.RATES_STORE.filename, schema.RATES_STORE.key)
    assert isinstance(rates, pd.DataFrame)
    assert rates["Dst"].isna().all()
    # bundled Kp of 1986-02-05 (quiet to moderate) is merged
    assert rates["Kp"].notna().all()
    assert rates["SpinStartTime"].dt.date.min() == dt.date(1986, 2, 5)
    assert (out / "atlas" / "1986-02-05.png").exists()
    assert (out / schema.COVERAGE_FILE).exists()
    # a second run keeps the stores
    assert cli.main(["demo", "--out", str(out), "--days", "1"]) == 0
    assert "already" in capsys.readouterr().out


def _build_args(fits_dir: Path, out: Path, *extra: str) -> list[str]:
    return [
        "build",
        "--fits",
        str(fits_dir),
        "--out",
        str(out),
        "--no-kp",
        "--workers",
        "1",
        *extra,
    ]


def test_allow_failures_reaches_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Field case 04-allow-failures-ignored: a file the stores were built from is damaged,
    then rebuilt with the flag."""
    from data_build import simulate

    fits_dir, out = tmp_path / "fits", tmp_path / "stores"
    short = simulate.SimConfig(hours=1.0)
    simulate.simulate(dt.date(1986, 2, 9), 2, fits_dir, seed=3, config=short)
    assert cli.main(_build_args(fits_dir, out)) == 0
    damaged = fits_dir / "1986_041.fits.gz"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    capsys.readouterr()

    # without the flag: refused, the stores keep both days
    assert cli.main(_build_args(fits_dir, out)) == 2
    assert "rebuild with --allow-failures" in capsys.readouterr().err

    def days_in_stores() -> set[dt.date]:
        rates = pd.read_hdf(out / schema.RATES_STORE.filename, schema.RATES_STORE.key)
        assert isinstance(rates, pd.DataFrame)
        return set(rates["SpinStartTime"].dt.date)

    assert days_in_stores() == {dt.date(1986, 2, 9), dt.date(1986, 2, 10)}

    # with the flag: rebuilt from the readable file, the failed one listed, exit status 1
    assert cli.main(_build_args(fits_dir, out, "--allow-failures")) == 1
    text = capsys.readouterr()
    assert "FAILED 1986_041.fits.gz: truncated gzip" in text.out
    assert "current stores hold data of files that now fail" not in text.err
    assert days_in_stores() == {dt.date(1986, 2, 9)}


def test_build_refuses_a_file_named_for_no_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fits_dir = tmp_path / "fits"
    fits_dir.mkdir()
    _good_file(fits_dir)
    _good_file(fits_dir, "1986_400.fits.gz")
    out = tmp_path / "o"
    assert cli.main(_build_args(fits_dir, out)) == 1
    assert "FAILED 1986_400.fits.gz: file name names no day: day of year 400" in (
        capsys.readouterr().out
    )
    coverage = json.loads((out / schema.COVERAGE_FILE).read_text())
    assert [(d["file"], d["date"]) for d in coverage["days"]] == [
        ("1986_400.fits.gz", ""),
        ("1986_040.fits.gz", "1986-02-09"),
    ]


def test_build_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from data_build.settings import BuildSettings

    monkeypatch.setenv("AWA_DST_FILE", os.pathsep.join(["/x/dst8602.wdc", "/x/dst8603.wdc"]))
    monkeypatch.setenv("AWA_KP_FILE", os.pathsep.join(["/x/kp1.txt", "", "/x/kp2.txt"]))
    monkeypatch.setenv("AWA_DATA_DIR", "/not/the/build/s")  # the app's: ignored here
    settings = BuildSettings()
    # several Dst files, like several Kp files (field case 05's kind)
    assert settings.dst_paths == [Path("/x/dst8602.wdc"), Path("/x/dst8603.wdc")]
    assert settings.kp_paths == [Path("/x/kp1.txt"), Path("/x/kp2.txt")]
    # the Makefile exports empty values when the shared index files are absent
    monkeypatch.setenv("AWA_DST_FILE", "")
    monkeypatch.setenv("AWA_KP_FILE", "")
    assert BuildSettings().dst_paths is None
    assert BuildSettings().kp_paths is None
    monkeypatch.delenv("AWA_DST_FILE")
    monkeypatch.delenv("AWA_KP_FILE")
    assert BuildSettings() == BuildSettings(dst_file="", kp_file="")
    assert BuildSettings(dst_file=Path("/y/dst.wdc")).dst_paths == [Path("/y/dst.wdc")]


def test_demo_takes_index_files_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data_build import simulate
    from data_build.settings import BuildSettings

    built: list[tuple[object, object]] = []

    def fake_build(_fits: Path, _out: Path, dst: object, kp: object, _workers: int) -> int:
        built.append((dst, kp))
        return 0

    def no_download(*_a: object, **_k: object) -> list[Path]:
        raise AssertionError("the demo must not download Dst when a Dst file is set")

    monkeypatch.setattr(simulate, "simulate_days", lambda *_a, **_k: [])
    monkeypatch.setattr(indices, "download_dst", no_download)
    monkeypatch.setattr(cli, "_build", fake_build)
    monkeypatch.setattr(cli, "_atlas", lambda *_a, **_k: 0)
    monkeypatch.setenv("AWA_DST_FILE", "/x/dst.wdc")
    monkeypatch.setenv("AWA_KP_FILE", "/x/kp.txt")
    demo = ["demo", "--out", str(tmp_path), "--days", "1", "--force"]
    assert cli.main(demo) == 0
    assert built == [([Path("/x/dst.wdc")], [Path("/x/kp.txt")])]
    # settings given to main are used as they are; the environment is not read again
    assert cli.main(demo, BuildSettings(dst_file="/y/dst.wdc", kp_file="")) == 0
    assert built[1] == ([Path("/y/dst.wdc")], None)


def test_the_build_reads_no_environment_and_no_app_settings() -> None:
    root = Path(__file__).resolve().parents[1] / "data_build"
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "os.environ" not in text, path
        assert "getenv" not in text, path
    code = (
        "import sys; import data_build.cli, data_build.stores, data_build.simulate, "
        "data_build.indices, data_build.atlas, data_build.verify, data_build.settings; "
        "print(sorted(m for m in sys.modules if m.startswith('awa.') "
        "and not m.startswith('awa.chem')))"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
