"""Data coverage: reading the build's coverage table, its summary, calendar, page and API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import dash
import numpy as np
import pandas as pd
import pytest

from awa import coverage, create_app
from awa.chem import schema
from awa.figures.coverage import METRICS, calendar_figure, quality_code
from awa.model import parse_query
from awa.pages import coverage as coverage_page
from awa.settings import Settings
from data_build import stores
from tests import fitsfactory as ff


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stores of 1986-02-09 and 1986-02-11 (02-10 missing), a bad period and a broken file."""
    tmp = tmp_path_factory.mktemp("coverage")
    files = []
    for name, start in (("1986_040", "1986-02-09T01:00:00"), ("1986_042", "1986-02-11T05:00:00")):
        cols = ff.default_columns(6, start=ff.seconds(start), seed=len(files))
        files.append(ff.write_fits(ff.build_hdul(cols), tmp / f"{name}.fits.gz"))
    broken = tmp / "1986_043.fits.gz"
    broken.write_bytes(b"not a fits file")
    files.append(broken)
    period = stores.BadPeriod(
        pd.Timestamp("1986-02-11T05:00:00"), pd.Timestamp("1986-02-11T05:05:00"), "test period"
    )
    out = tmp / "data"
    stores.build_stores(files, out, bad_periods=[period], progress=None)
    return out


def test_read_coverage_of_a_build(built: Path) -> None:
    cov = coverage.read_coverage(built)
    assert [d.date.isoformat() for d in cov.days] == ["1986-02-09", "1986-02-11", "1986-02-12"]
    first, second, broken = cov.days
    assert first.spins == 6 * schema.SPINS_PER_CYCLE
    assert first.cycles == 6
    assert first.pha_events == 6 * schema.SPINS_PER_CYCLE * 4
    assert first.blocks[0].start == dt.datetime(1986, 2, 9, 1, 0)
    # a day that starts at 01:00 and ends after 6 cycles (~18 min) has gaps at both ends
    assert first.gaps[0] == (dt.datetime(1986, 2, 9), dt.datetime(1986, 2, 9, 1, 0))
    assert first.gaps[-1][1] == dt.datetime(1986, 2, 10)
    assert second.bad_period_spins > 0
    assert broken.status == "bad"
    assert not broken.has_data
    assert broken.reason
    assert cov.build_time


def test_summary_counts_and_missing_days(built: Path) -> None:
    cov = coverage.read_coverage(built)
    summary = coverage.summarize(cov)
    assert summary["days_with_data"] == 2
    assert summary["files"] == 3
    assert summary["status"]["bad"] == 1
    assert summary["first_day"] == "1986-02-09"
    assert summary["last_day"] == "1986-02-11"
    assert summary["missing_days"] == 1
    assert summary["missing_runs"] == [["1986-02-10", "1986-02-10"]]
    assert summary["spins"] == sum(d.spins for d in cov.days)
    assert summary["pha_events"] == sum(d.pha_events for d in cov.days)
    text = coverage_page.summary_text(summary)
    assert "2 days with data of 3 daily files" in text
    assert "1 missing day" in text


def test_browse_link_is_understood_by_the_browser() -> None:
    link = coverage.browse_link(dt.date(1986, 2, 9))
    assert link == "/?t=1986-040"
    state, errors = parse_query(link.split("?", 1)[1])
    assert not errors
    r = state.selection.times[0]
    assert (r.start, r.end) == (dt.datetime(1986, 2, 9), dt.datetime(1986, 2, 10))


def test_calendar_places_each_day_and_its_quality(built: Path) -> None:
    cov = coverage.read_coverage(built)
    fig = calendar_figure(cov, "spins")
    data, quality = fig.data[0], fig.data[1]
    z = np.asarray(data.z, dtype=float)
    q = np.asarray(quality.z, dtype=float)
    dates = np.asarray(data.customdata)
    assert z.shape == (1, 366)  # one year
    assert z[0, 39] == cov.days[0].spins  # 1986-02-09 is day 40
    assert dates[0, 39] == "1986-02-09"
    assert np.isnan(z[0, 40])  # 1986-02-10: no file
    assert dates[0, 40] == ""
    assert q[0, 39] == quality_code(cov.days[0])
    assert q[0, 41] == 3  # spins in a bad period
    assert q[0, 42] == 2  # unreadable file
    assert np.isnan(z[0, 42])
    assert "click: open this day" in np.asarray(data.text)[0, 39]
    assert list(fig.layout.yaxis.ticktext) == ["1986 spins", "1986 quality"]
    for metric in METRICS:
        assert calendar_figure(cov, metric).layout.meta["awa_kind"] == "coverage"
    with pytest.raises(ValueError, match="metric"):
        calendar_figure(cov, "nonsense")


def test_calendar_spans_several_years() -> None:
    cov = coverage.parse_coverage(
        {"days": [{"date": "1984-09-01", "status": "good", "spins": 5},
                  {"date": "1986-01-01", "status": "warnings", "spins": 7}]}
    )  # fmt: skip
    fig = calendar_figure(cov)
    assert np.asarray(fig.data[0].z).shape == (3, 366)
    assert list(fig.layout.yaxis.ticktext)[:3] == [
        "1984 PHA events", "1985 PHA events", "1986 PHA events"
    ]  # fmt: skip


def test_malformed_or_missing_tables_say_so(tmp_path: Path) -> None:
    with pytest.raises(coverage.CoverageMissingError, match="awa-build"):
        coverage.read_coverage(tmp_path)
    (tmp_path / schema.COVERAGE_FILE).write_text("{not json")
    with pytest.raises(coverage.CoverageMissingError, match="not valid JSON"):
        coverage.read_coverage(tmp_path)
    (tmp_path / schema.COVERAGE_FILE).write_text(json.dumps({"files": []}))
    with pytest.raises(coverage.CoverageMissingError, match="no 'days' list"):
        coverage.read_coverage(tmp_path)
    with pytest.raises(coverage.CoverageMissingError, match="lacks 'status'"):
        coverage.parse_coverage({"days": [{"date": "1986-02-09"}]})
    with pytest.raises(coverage.CoverageMissingError, match="day 0"):
        coverage.parse_coverage({"days": [{"date": "1986-13-45", "status": "good"}]})


def test_api_coverage(built: Path, tmp_path: Path) -> None:
    client = create_app(Settings(data_dir=built, cache_type="null")).server.test_client()
    r = client.get("/api/coverage")
    assert r.status_code == 200
    body = r.get_json()
    assert [d["date"] for d in body["days"]] == ["1986-02-09", "1986-02-11", "1986-02-12"]
    assert body["summary"]["missing_runs"] == [["1986-02-10", "1986-02-10"]]
    assert body["bad_periods"][0]["reason"] == "test period"
    empty = create_app(Settings(data_dir=tmp_path, cache_type="null")).server.test_client()
    r = empty.get("/api/coverage")
    assert r.status_code == 404
    assert "awa-build" in r.get_json()["error"]


def _texts(component: Any) -> list[str]:
    """Every string and href in a component tree."""
    out: list[str] = []
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        for c in component:
            out += _texts(c)
        return out
    href = getattr(component, "href", None)
    if href:
        out.append(f"href={href}")
    children = getattr(component, "children", None)
    if children is not None:
        out += _texts(children)
    return out


def test_page_lists_days_with_links(built: Path, tmp_path: Path) -> None:
    texts = _texts(coverage_page.layout(Settings(data_dir=built, cache_type="null")))
    assert "href=/?t=1986-040" in texts
    assert "href=/?t=1986-042" in texts
    assert "href=/?t=1986-043" not in texts  # the broken file has no data to open
    assert any("spins in a bad period" in t for t in texts)
    assert "bad" in texts
    missing = _texts(coverage_page.layout(Settings(data_dir=tmp_path, cache_type="null")))
    assert any("No coverage table" in t and "awa-build" in t for t in missing)


def test_calendar_click_opens_the_browser(built: Path) -> None:
    click = {"points": [{"x": 40, "y": 0, "customdata": "1986-02-09"}]}
    assert coverage_page.click_target(click) == "/?t=1986-040"
    assert coverage_page.click_target(click, "/awa/") == "/awa/?t=1986-040"
    assert coverage_page.click_target({"points": [{"customdata": ""}]}) is dash.no_update
    assert coverage_page.click_target(None) is dash.no_update
    settings = Settings(data_dir=built, cache_type="null")
    fig = coverage_page.calendar_outputs(settings, "cycles")
    assert fig.layout.title.text.startswith("Data coverage by day: cycles")
