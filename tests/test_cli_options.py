"""Every ``awa-build`` option has an effect, shown end to end (field case 04's kind).

`OPTION_TESTS` maps every option of every subcommand to the test that shows its effect; a
test checks that the parser has no option outside that table.  Days are simulated short
(90 minutes) so the builds stay quick; the longer tests are marked slow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa.chem import schema
from data_build import cli, indices
from data_build.settings import BuildSettings
from data_build.simulate import SimConfig, files
from data_build.stores import store_metadata

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "indices"
SHORT = SimConfig(hours=1.5)

#: option -> the test below that shows its effect (test_cli.py holds the ones marked so).
OPTION_TESTS: dict[tuple[str, str], str] = {
    ("", "--help"): "test_help_of_every_subcommand",
    ("simulate", "--start"): "test_simulate_start_days_out",
    ("simulate", "--days"): "test_simulate_start_days_out",
    ("simulate", "--out"): "test_simulate_start_days_out",
    ("simulate", "--seed"): "test_simulate_seed",
    ("simulate", "--workers"): "test_simulate_workers",
    ("build", "--fits"): "test_build_fits_out_and_default_kp",
    ("build", "--out"): "test_build_fits_out_and_default_kp",
    ("build", "--dst"): "test_build_dst_repeated_reads_every_file",
    ("build", "--kp"): "test_build_kp_files",
    ("build", "--no-kp"): "test_build_no_kp",
    ("build", "--bad-periods"): "test_build_bad_periods",
    ("build", "--allow-failures"): "test_cli.py::test_allow_failures_reaches_the_build",
    ("build", "--workers"): "test_build_workers",
    ("verify", "--fits"): "test_cli.py::test_verify_exit_codes_and_json",
    ("verify", "--json"): "test_cli.py::test_verify_exit_codes_and_json",
    ("atlas", "--data"): "test_atlas_data_out_start_days",
    ("atlas", "--out"): "test_atlas_data_out_start_days",
    ("atlas", "--start"): "test_atlas_data_out_start_days",
    ("atlas", "--days"): "test_atlas_data_out_start_days",
    ("atlas", "--workers"): "test_atlas_workers",
    ("demo", "--out"): "test_cli.py::test_demo_offline_builds_without_dst_and_says_so",
    ("demo", "--days"): "test_cli.py::test_demo_offline_builds_without_dst_and_says_so",
    ("demo", "--seed"): "test_demo_seed_force_workers",
    ("demo", "--workers"): "test_demo_seed_force_workers",
    ("demo", "--force"): "test_demo_seed_force_workers",
}


def _short_one(day: dt.date, out: Path, seed: int) -> list[Path]:
    """One short simulated day; records the process that made it."""
    with open(Path(out) / f"pid-{os.getpid()}", "a") as f:
        f.write(f"{day}\n")
    return files.simulate(day, 1, out, seed=seed, config=SHORT)


@pytest.fixture(autouse=True)
def _short_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_simulate_one", _short_one)


class _Pools:
    """A ProcessPoolExecutor that records the number of processes asked for."""

    sizes: list[int] = []

    def __new__(cls, max_workers: int | None = None, **kwargs: Any) -> Any:  # noqa: PYI034
        cls.sizes.append(int(max_workers or 0))
        return ProcessPoolExecutor(max_workers=max_workers, **kwargs)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from data_build import atlas
    from data_build.stores import build

    _Pools.sizes = []
    for module in (files, build, atlas):
        monkeypatch.setattr(module, "ProcessPoolExecutor", _Pools)
    return _Pools.sizes


@pytest.fixture(scope="module")
def fits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short simulated days, 1986-02-08 and 1986-02-09."""
    out = tmp_path_factory.mktemp("fits")
    files.simulate(dt.date(1986, 2, 8), 2, out, seed=3, config=SHORT)
    return out


def _rates(out: Path, columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.read_hdf(out / schema.RATES_STORE.filename, schema.RATES_STORE.key, columns=columns)
    assert isinstance(frame, pd.DataFrame)
    return frame


def _build(fits: Path, out: Path, *extra: str) -> int:
    return cli.main(["build", "--fits", str(fits), "--out", str(out), "--workers", "1", *extra])


# ---------------------------------------------------------------------------------------
# The inventory
# ---------------------------------------------------------------------------------------


def _options() -> set[tuple[str, str]]:
    parser = cli._parser()
    found = {("", "--help")}
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in sub.choices.items():
        for action in subparser._actions:
            found.update((name, o) for o in action.option_strings if o.startswith("--"))
        found.discard((name, "--help"))
    return found


def test_every_option_has_a_test() -> None:
    assert _options() == set(OPTION_TESTS)


def test_help_of_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    top = capsys.readouterr().out
    for command in ("simulate", "build", "verify", "atlas", "demo"):
        assert command in top
        with pytest.raises(SystemExit) as info:
            cli.main([command, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        for sub, option in OPTION_TESTS:
            if sub == command:
                assert option in text, (command, option)


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--fits", "a", "--out", "b", "--out", "c"],
        ["build", "--fits", "a", "--out", "b", "--bad-periods", "x", "--bad-periods", "y"],
        ["simulate", "--start", "1986-039", "--start", "1986-040", "--out", "o"],
        ["verify", "--fits", "a", "--json", "x", "--json", "y"],
        ["atlas", "--data", "a", "--out", "b", "--workers", "2", "--workers", "3"],
    ],
)
def test_a_repeated_single_value_option_is_refused(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Field case 05's kind: a repeated option is never silently reduced to its last value."""
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "given twice" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_simulate_start_days_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    out.mkdir()
    assert cli.main(["simulate", "--start", "1986-039", "--days", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.fits.gz")) == ["1986_039.fits.gz", "1986_040.fits.gz"]
    assert "wrote 2 daily files" in capsys.readouterr().out


def test_simulate_seed(tmp_path: Path) -> None:
    def run(seed: str, name: str) -> bytes:
        out = tmp_path / name
        out.mkdir()
        argv = ["simulate", "--start", "1986-02-08", "--out", str(out), "--seed", seed]
        assert cli.main(argv) == 0
        return (out / "1986_039.fits.gz").read_bytes()

    assert run("3", "a") == run("3", "b")
    assert run("3", "c") != run("4", "d")


@pytest.mark.slow
def test_simulate_workers(tmp_path: Path, pools: list[int]) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    base = ["simulate", "--start", "1986-02-08", "--days", "2", "--seed", "5"]
    assert cli.main([*base, "--out", str(one)]) == 0
    assert pools == []  # one worker: no process pool, the days are made in this process
    assert [p.name for p in one.glob("pid-*")] == [f"pid-{os.getpid()}"]
    assert cli.main([*base, "--out", str(two), "--workers", "2"]) == 0
    assert pools == [2]
    makers = [p.name for p in two.glob("pid-*")]
    assert makers
    assert f"pid-{os.getpid()}" not in makers  # made by the pool's processes
    for name in ("1986_039.fits.gz", "1986_040.fits.gz"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


# ---------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------


def test_build_fits_out_and_default_kp(fits_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "stores"
    assert _build(fits_dir, out) == 0
    coverage = json.loads((out / schema.COVERAGE_FILE).read_text())
    assert [d["file"] for d in coverage["days"]] == ["1986_039.fits.gz", "1986_040.fits.gz"]
    rates = _rates(out, ["SpinStartTime", "Kp"])
    # without --kp: the bundled CelesTrak Kp, in GFZ thirds (1986-02-08 00-03 UT: 7.000)
    bundled = indices.read_celestrak_kp("1986-02-08", "1986-02-10")
    first = rates["SpinStartTime"].dt.floor("3h").map(bundled)
    np.testing.assert_allclose(rates["Kp"].to_numpy(np.float64), first.to_numpy(), atol=1e-6)
    assert (
        "CelesTrak"
        in store_metadata(out / schema.RATES_STORE.filename, "ampte_rates")["index_sources"]["Kp"]
    )


def test_build_dst_repeated_reads_every_file(fits_dir: Path, tmp_path: Path) -> None:
    """Field case 05-dst-flag-repeated-keeps-last: --dst A --dst B reads both; before, only B
    (no spin got Dst)."""
    a, b = FIXTURES / "dst_fmt_19860208.wdc", FIXTURES / "dst_fmt_19860301.wdc"
    out = tmp_path / "stores"
    assert _build(fits_dir, out, "--no-kp", "--dst", str(a), "--dst", str(b)) == 0
    rates = _rates(out, ["SpinStartTime", "Dst"])
    on_8th = rates["SpinStartTime"].dt.date == dt.date(1986, 2, 8)
    hour = rates["SpinStartTime"].dt.hour
    assert rates.loc[on_8th, "Dst"].notna().all()
    assert (rates.loc[on_8th & (hour == 0), "Dst"] == 0.0).all()
    assert (rates.loc[on_8th & (hour == 1), "Dst"] == -10.0).all()
    assert rates.loc[~on_8th, "Dst"].isna().all()  # 1986-02-09 is in neither file
    meta = store_metadata(out / schema.RATES_STORE.filename, "ampte_rates")
    assert meta["index_sources"]["Dst"].startswith("dst_fmt_19860208.wdc, dst_fmt_19860301.wdc")
    assert "Kyoto WDC Dst" in meta["index_sources"]["Dst"]
    assert meta["time_zone"].startswith("UTC")


def _gfz_line(day: str, kp: list[float]) -> str:
    days = (pd.Timestamp(day) - pd.Timestamp("1932-01-01")).days
    ap = " ".join(["0"] * 8)
    values = " ".join(f"{k:.3f}" for k in kp)
    return f"{day.replace('-', ' ')} {days} {days}.5 2084 1 {values} {ap} 0 0 0.0 0.0 2\n"


def test_build_kp_files(fits_dir: Path, tmp_path: Path) -> None:
    """Two --kp files (one per day) are both read; the stores hold their thirds."""
    kp8 = [7.0, 7.333, 6.667, 8.0, 7.667, 9.0, 8.667, 1.0]
    kp9 = [0.0, 0.333, 0.667, 1.0, 1.333, 1.667, 2.0, 2.333]
    k8 = tmp_path / "kp8.txt"
    k8.write_text("#YYY MM DD\n" + _gfz_line("1986-02-08", kp8))
    k9 = tmp_path / "kp9.wdc"  # the name does not matter, the content does
    k9.write_text(_gfz_line("1986-02-09", kp9))
    out = tmp_path / "stores"
    assert _build(fits_dir, out, "--kp", str(k8), "--kp", str(k9)) == 0
    rates = _rates(out, ["SpinStartTime", "Kp"])
    t = rates["SpinStartTime"]
    expected = np.where(t.dt.day == 8, np.take(kp8, t.dt.hour // 3), np.take(kp9, t.dt.hour // 3))
    np.testing.assert_allclose(rates["Kp"].to_numpy(np.float64), expected, atol=1e-6)
    assert set(np.round(rates["Kp"].to_numpy(np.float64), 3)) == {7.0, 0.0}  # one per file


def test_build_no_kp(fits_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "stores"
    assert _build(fits_dir, out, "--no-kp") == 0
    assert _rates(out, ["Kp"])["Kp"].isna().all()
    meta = store_metadata(out / schema.RATES_STORE.filename, "ampte_rates")
    assert "Kp" not in meta["index_sources"]
    # --no-kp and --kp contradict each other: refused, not silently one of them
    kp = FIXTURES / "kp_gfz_small.txt"
    assert _build(fits_dir, tmp_path / "other", "--no-kp", "--kp", str(kp)) == 2
    assert "either --kp files or --no-kp" in capsys.readouterr().err


@pytest.mark.slow
def test_build_bad_periods(fits_dir: Path, tmp_path: Path) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("start,end,reason\n1986-02-08T00:00,1986-02-08T01:00,test\n")
    default, custom = tmp_path / "default", tmp_path / "custom"
    assert _build(fits_dir, default, "--no-kp") == 0
    assert _build(fits_dir, custom, "--no-kp", "--bad-periods", str(table)) == 0

    def pha_times(out: Path) -> pd.Series:
        frame = pd.read_hdf(
            out / schema.PHA_STORE.filename, schema.PHA_STORE.key, columns=["Energy"]
        )
        assert isinstance(frame, pd.DataFrame)
        return frame.index.get_level_values("SpinStartTime").to_series(index=range(len(frame)))

    before = pha_times(default)
    after = pha_times(custom)
    in_period = (before >= "1986-02-08 00:00") & (before < "1986-02-08 01:00")
    assert in_period.sum() > 0
    assert ((after >= "1986-02-08 00:00") & (after < "1986-02-08 01:00")).sum() == 0
    assert len(after) == len(before) - int(in_period.sum())
    meta = store_metadata(custom / schema.PHA_STORE.filename, schema.PHA_STORE.key)
    assert [p["reason"] for p in meta["bad_periods"]] == ["test"]


@pytest.mark.slow
def test_build_workers(fits_dir: Path, tmp_path: Path, pools: list[int]) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert _build(fits_dir, one, "--no-kp") == 0
    assert pools == []
    argv = ["build", "--fits", str(fits_dir), "--out", str(two), "--no-kp", "--workers", "2"]
    assert cli.main(argv) == 0
    assert pools == [2]
    pd.testing.assert_frame_equal(_rates(one), _rates(two))


# ---------------------------------------------------------------------------------------
# atlas and demo
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stores_dir(fits_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stores")
    assert _build(fits_dir, out, "--no-kp") == 0
    return out


@pytest.mark.slow
def test_atlas_data_out_start_days(
    stores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one"
    argv = ["atlas", "--data", str(stores_dir), "--out", str(one), "--workers", "1"]
    assert cli.main([*argv, "--start", "1986-040", "--days", "1"]) == 0
    assert sorted(p.name for p in one.glob("*.png")) == ["1986-02-09.png"]
    every = tmp_path / "every"
    assert (
        cli.main(["atlas", "--data", str(stores_dir), "--out", str(every), "--workers", "1"]) == 0
    )
    assert sorted(p.name for p in every.glob("*.png")) == ["1986-02-08.png", "1986-02-09.png"]
    assert cli.main([*argv, "--days", "1"]) == 2
    assert "--days needs --start" in capsys.readouterr().err


@pytest.mark.slow
def test_atlas_workers(stores_dir: Path, tmp_path: Path, pools: list[int]) -> None:
    out = tmp_path / "atlas"
    argv = ["atlas", "--data", str(stores_dir), "--out", str(out), "--workers", "2"]
    assert cli.main(argv) == 0
    assert pools == [2]
    assert sorted(p.name for p in out.glob("*.png")) == ["1986-02-08.png", "1986-02-09.png"]


@pytest.mark.slow
def test_demo_seed_force_workers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pools: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    def offline(*_a: object, **_k: object) -> list[Path]:
        raise indices.IndexDownloadError("host name not resolved (offline?)")

    monkeypatch.setattr(indices, "download_dst", offline)
    out = tmp_path / "demo"
    settings = BuildSettings(dst_file="", kp_file="")
    base = ["demo", "--out", str(out), "--days", "1"]
    assert cli.main([*base, "--seed", "1", "--workers", "1"], settings) == 0
    first = _rates(out, ["SpinStartTime"])
    # without --force the stores are kept, whatever the seed
    assert cli.main([*base, "--seed", "2", "--workers", "1"], settings) == 0
    assert "already" in capsys.readouterr().out
    pd.testing.assert_frame_equal(_rates(out, ["SpinStartTime"]), first)
    assert pools == []
    # --force rebuilds; --seed 2 gives other data; --workers 2 uses a pool of 2 processes
    assert cli.main([*base, "--seed", "2", "--workers", "2", "--force"], settings) == 0
    assert "simulating 1 days" in capsys.readouterr().out
    assert 2 in pools
    assert set(pools) == {2}
    again = pd.read_hdf(
        out / schema.PHA_STORE.filename, schema.PHA_STORE.key, columns=["SpinStartTime"]
    )
    seed1 = tmp_path / "seed1"
    seed1.mkdir()
    files.simulate(dt.date(1986, 2, 5), 1, seed1, seed=1, config=SHORT)
    seed2 = (out / "fits" / "1986_036.fits.gz").read_bytes()
    assert seed2 != (seed1 / "1986_036.fits.gz").read_bytes()
    assert isinstance(again, pd.DataFrame)
    assert len(again) > 0
