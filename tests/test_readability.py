"""The words and scales a scientist reads (issue 14, readability): plurals, durations,
wrapped titles, minute-rounded drag spans, full log tick labels, the scatter's drawn count,
the coverage calendar's fitted scale, the storm list's reason, the demo's quirk note."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pytest

from awa.coverage import is_simulated
from awa.figures.coverage import day_axis
from awa.figures.mmq import log_ticks
from awa.figures.scatter import drawn_count, drawn_text
from awa.figures.text import duration_text, plural, singular_counts, wrap_title
from awa.pages.controls import parse_selected_range, round_minute
from awa.query.results import EventSample
from tests.builtstore import SimulatedStores


def test_plural() -> None:
    assert plural(1, "spin") == "1 spin"
    assert plural(0, "spin") == "0 spins"
    assert plural(12345, "day") == "12,345 days"
    assert plural(2, "copy", "copies") == "2 copies"


def test_singular_counts_of_verify_findings() -> None:
    text = ("1 out-of-order spins; 2 clipped times; 1 repeated spin times; "
            "3 exact copies of a spin")
    assert singular_counts(text) == (
        "1 out-of-order spin; 2 clipped times; 1 repeated spin time; 3 exact copies of a spin"
    )
    one = singular_counts("11 L fill values; 1 L fill values")
    assert one == "11 L fill values; 1 L fill value"
    assert singular_counts("21 rate-relation violations") == "21 rate-relation violations"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45 * 60, "45 min"),
        (60, "1 min"),
        (6 * 3600, "6 h"),
        (5400, "1.5 h"),
        (24 * 3600, "24 h"),
        (10 * 86400, "10 days"),
        (86400 * 3.25, "3.2 days"),
        (47_500 * 3600, "5.4 years (1,979 days)"),
    ],
)
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text
    assert "e+" not in duration_text(seconds)


def test_wrap_title() -> None:
    title = ("Timelines: 3 ranges, 30 h in all "
             "(1986-039-0000:1986-039-1000,1986-040-0000:1986-040-1000)")
    lines = wrap_title(title, 50).split("<br>")
    assert len(lines) == 2
    assert all(len(line) <= 50 or " " not in line for line in lines)
    assert " ".join(lines) == title


def test_round_minute_and_drag_span() -> None:
    assert round_minute(dt.datetime(1986, 2, 7, 23, 52, 34)) == dt.datetime(1986, 2, 7, 23, 53)
    assert round_minute(dt.datetime(1986, 2, 7, 23, 52, 29)) == dt.datetime(1986, 2, 7, 23, 52)
    r = parse_selected_range(
        {"range": {"x2": ["1986-02-07 23:52:34.512", "1986-02-08 03:10:05.2"]}}
    )
    assert r is not None
    assert (r.start, r.end) == (dt.datetime(1986, 2, 7, 23, 53), dt.datetime(1986, 2, 8, 3, 10))
    short = parse_selected_range({"range": {"x": ["1986-02-08 03:10:05", "1986-02-08 03:10:20"]}})
    assert short is not None
    assert short.end - short.start == dt.timedelta(minutes=1)


def test_log_ticks_are_unambiguous() -> None:
    assert log_ticks(0.5, 60) == [0.5, 1, 2, 5, 10, 20, 50]
    assert log_ticks(0.5, 100) == [0.5, 1, 2, 5, 10, 20, 50, 100]
    assert log_ticks(1, 0.5) == []


def _sample(mass: list[float], mpq: list[float]) -> EventSample:
    cols = {"mass": np.array(mass), "mpq": np.array(mpq)}
    return EventSample(columns=cols, n_selected=len(mass), complete=True)


def test_scatter_count_is_what_is_drawn() -> None:
    s = _sample([16.0, np.nan, 4.0, 0.0], [8.0, 2.0, np.nan, 1.0])
    assert drawn_count(s, "mmq") == 1
    assert drawn_count(s, "et") == 4
    assert drawn_text(21964, 33011, "mmq").startswith(
        "21,964 of 33,011 selected events have a mass and M/Q and are drawn"
    )


def test_coverage_scale_fits_a_short_archive() -> None:
    demo = [dt.date(1986, 2, 5) + dt.timedelta(days=i) for i in range(10)]
    axis = day_axis(1986, demo)
    lo, hi = axis["range"]  # type: ignore[misc]
    assert 14 <= hi - lo <= 16  # two weeks around the ten days, not a year
    assert lo <= 36 - 0.5
    assert hi >= 45 + 0.5
    assert axis["tickvals"] == list(range(int(lo + 0.5), int(hi - 0.5) + 1))
    assert "Feb 05" in " ".join(axis["ticktext"])  # type: ignore[arg-type]
    year = day_axis(1986, [dt.date(1986, 1, 1), dt.date(1986, 12, 31)])
    assert year["range"] == [0.5, 366.5]


def test_is_simulated(tmp_path: Path) -> None:
    assert not is_simulated(tmp_path)
    (tmp_path / "fits").mkdir()
    header = b"SIMPLE  =                    T".ljust(80) + b"ORIGIN  = 'AWA simulate'".ljust(80)
    with gzip.open(tmp_path / "fits" / "1986_036.fits.gz", "wb") as fh:
        fh.write(header.ljust(2880))
    assert is_simulated(tmp_path)
    with gzip.open(tmp_path / "fits" / "1986_035.fits.gz", "wb") as fh:
        fh.write(b"SIMPLE  =                    T".ljust(2880))
    assert not is_simulated(tmp_path)  # the first file is a real one


def test_demo_says_which_index_files_the_stores_use(
    sim_store: SimulatedStores, capsys: pytest.CaptureFixture[str]
) -> None:
    from data_build.cli import main
    from data_build.settings import BuildSettings

    assert main(["demo", "--out", str(sim_store.folder)], BuildSettings()) == 0
    out = capsys.readouterr().out
    assert "demo stores already in" in out
    assert "built with Kp from synthetic (tests); Dst from synthetic (tests)" in out
