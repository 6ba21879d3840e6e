"""The awa-build command line: exit codes, messages, and the demo path end to end."""

from __future__ import annotations

import datetime as dt
import json
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
