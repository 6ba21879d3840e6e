"""Browser tests of the coverage and atlas pages and the matrix-element tab.

The served data folder is built by the real pipeline (simulated FITS -> stores with the
coverage table -> atlas), so the pages show what a user of a built archive sees.
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from data_build import atlas, simulate, stores
from tests.e2e.conftest import serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days (2 h each), their stores, coverage table and atlas."""
    tmp = tmp_path_factory.mktemp("pages_archive")
    paths = []
    for day in (dt.date(1986, 2, 9), dt.date(1986, 2, 11)):
        sim = simulate.simulate_day(day, seed=2, config=simulate.SimConfig(hours=2))
        paths.append(simulate.write_day(sim, tmp / "fits"))
    data = tmp / "data"
    stores.build_stores(paths, data, progress=None)
    atlas.build_atlas(data, data / "atlas", progress=None)
    return data


@pytest.fixture(scope="module")
def site(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``awa serve`` on a free 127.0.0.1 port over the archive; yields its base URL."""
    with serve(archive, tmp_path_factory.mktemp("pages_server")) as base:
        yield base


def _time_box(page: Any) -> str:
    page.wait_for_function(
        "() => document.querySelector('#time') && document.querySelector('#time').value",
        timeout=30_000,
    )
    value: str = page.input_value("#time")
    return value


def test_coverage_page_calendar_list_and_day_links(browser: Any, site: str, shots: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(site + "/coverage")
    page.wait_for_selector("#cov-calendar .heatmaplayer", timeout=30_000)
    summary = page.inner_text("#cov-summary")
    assert "2 days with data of 2 daily files" in summary
    assert "1 missing day" in summary
    rows = page.eval_on_selector_all("#cov-list tbody tr", "els => els.length")
    assert rows == 2
    page.screenshot(path=str(shots / "coverage_e2e_1280x800.png"), full_page=True)
    # the calendar's quantity can be changed
    page.check("#cov-metric input[value='cycles']")
    page.wait_for_function(
        "() => document.querySelector('#cov-calendar .gtitle').textContent.includes('cycles')",
        timeout=30_000,
    )
    # a date in the list opens the browser on that day
    page.click("#cov-day-1986-02-11 a")
    page.wait_for_url("**/?t=1986-042", timeout=30_000)
    assert _time_box(page) == "1986-042-0000:1986-043-0000"
    page.close()


def test_coverage_calendar_click_opens_the_day(browser: Any, site: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(site + "/coverage")
    page.wait_for_selector("#cov-calendar .heatmaplayer", timeout=30_000)
    # a click on the day's cell (plotly's click event, as the mouse would send it)
    page.eval_on_selector(
        "#cov-calendar .js-plotly-plot",
        "gd => gd.emit('plotly_click', {points: [{x: 40, y: 0, customdata: '1986-02-09', "
        "curveNumber: 0, pointNumber: [0, 39], data: gd.data[0], fullData: gd._fullData[0]}]})",
    )
    page.wait_for_url("**/?t=1986-040", timeout=30_000)
    assert _time_box(page) == "1986-040-0000:1986-041-0000"
    page.close()


def test_atlas_page_thumbnails_paging_and_open(browser: Any, site: str, shots: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(site + "/atlas")
    page.wait_for_selector(".awa-atlas-thumb", timeout=30_000)
    assert page.inner_text("#atlas-title") == "February 1986"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.awa-atlas-thumb')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=30_000,
    )
    widths = page.eval_on_selector_all(".awa-atlas-thumb", "els => els.map(e => e.naturalWidth)")
    assert widths == [288, 288]
    page.screenshot(path=str(shots / "atlas_e2e_1280x800.png"), full_page=True)
    page.click("#atlas-next")
    page.wait_for_function(
        "() => document.querySelector('#atlas-title').textContent === 'March 1986'",
        timeout=30_000,
    )
    assert "month=1986-03" in page.url
    assert page.eval_on_selector_all(".awa-atlas-thumb", "els => els.length") == 0
    page.go_back()
    page.wait_for_function(
        "() => document.querySelector('#atlas-title').textContent === 'February 1986'",
        timeout=30_000,
    )
    page.click("#atlas-day-1986-02-11 .awa-atlas-open")
    page.wait_for_url("**/?t=1986-042", timeout=30_000)
    assert _time_box(page) == "1986-042-0000:1986-043-0000"
    page.close()


def test_matrix_element_tab_options_timeline_and_download(
    browser: Any, site: str, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(site + "/?t=1986-040-0000:0200&tab=me&L=all")
    page.wait_for_selector("#me-graph .heatmaplayer", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#me-tl-caption').textContent.includes('cycles')",
        timeout=30_000,
    )
    href = page.get_attribute("#me-download", "href")
    assert href is not None
    assert "download/me.csv?t=1986-040-0000:1986-040-0200" in href
    with urllib.request.urlopen(site + "/" + href.lstrip("/"), timeout=30) as r:
        text = r.read().decode()
    assert "# KIND: me" in text
    page.screenshot(path=str(shots / "me_e2e_1600x1000.png"), full_page=True)
    # colour limits reach the figure's colour axis
    page.fill("#me-z", "10,1000")
    page.press("#me-z", "Enter")
    page.wait_for_function(
        "() => { const gd = document.querySelector('#me-graph .js-plotly-plot');"
        " return gd && Math.abs(gd.layout.coloraxis.cmax - 3) < 1e-9; }",
        timeout=30_000,
    )
    # chosen boxes drive the ME timeline
    page.fill("#me-boxes", "55")
    page.press("#me-boxes", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#me-tl-caption').textContent.includes('ME boxes 55')",
        timeout=30_000,
    )
    tl_href = page.get_attribute("#me-tl-download", "href")
    assert tl_href is not None
    assert tl_href.endswith("boxes=55")
    # a bad option is reported and the rest keeps working
    page.fill("#me-x", "nonsense")
    page.press("#me-x", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#message').textContent.includes(\"mex: 'nonsense'\")",
        timeout=30_000,
    )
    assert "mex=" not in page.evaluate("() => window.location.search")  # URL kept
    assert "boxes=55" in page.evaluate("() => window.location.search")
    page.close()
