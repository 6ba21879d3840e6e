"""End-to-end: what a scientist reads on the pages (issue 14, readability and unexplained
states), each read from the figure or text in the page.

Log tick labels in full and species named beside the peaks (M-M/Q), the scatter's count equal
to the points drawn with species marks on it too, human durations, wrapped timeline titles,
minute-rounded drag spans, no plotly notice over the toolbar, a coverage calendar fitted to
the stores' days with singular counts, and -- on a copy of the stores without Dst beside the
simulated daily file -- the storm list's reason and the coverage page's note on the demo's
injected quirks.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
import tables

from awa.chem import schema
from tests.builtstore import SimulatedStores
from tests.e2e.conftest import serve

pytestmark = pytest.mark.e2e


def _page(browser: Any, url: str, ready: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.wait_for_function(f"() => !!document.querySelector({ready!r})", timeout=30_000)
    page.wait_for_load_state("networkidle")
    return page


def _text(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "e => e.innerText"))


def test_mmq_ticks_in_full_and_species_beside_the_peaks(browser: Any, served: str) -> None:
    page = _page(browser, f"{served}/?t=1986-039", "#mmq-graph .xtick")
    # the empty placeholder figure has ticks too: wait for the drawn histogram's
    page.wait_for_function(
        "() => document.querySelector('#mmq-caption').innerText.includes('events of')"
        " && document.querySelectorAll('#mmq-graph .xtick text').length === 7",
        timeout=30_000,
    )
    ticks = page.eval_on_selector_all("#mmq-graph .xtick text", "es => es.map(e => e.textContent)")
    assert ticks == ["0.5", "1", "2", "5", "10", "20", "50"]
    marks = page.eval_on_selector(
        "#mmq-graph .js-plotly-plot",
        "e => e.layout.annotations.map(a => [a.text, a.showarrow, a.ax, a.ay, a.standoff])",
    )
    names = {m[0] for m in marks}
    assert {"H+", "He++", "O+"} <= names
    assert all(m[1] and (m[2], m[3]) != (0, 0) and m[4] > 0 for m in marks)
    # nothing drawn over the peak bins: the heatmap is the only trace
    assert page.eval_on_selector("#mmq-graph .js-plotly-plot", "e => e.data.length") == 1
    page.close()


def test_scatter_count_matches_the_points_and_has_species(browser: Any, served: str) -> None:
    page = _page(browser, f"{served}/?t=1986-039-0000:0300&tri=0&etmode=scatter&mmode=scatter",
                 "#mmq-graph .scattergl, #mmq-graph .gl-container")  # fmt: skip
    page.wait_for_function(
        "() => document.querySelector('#mmq-caption').innerText.includes('drawn')",
        timeout=30_000,
    )
    drawn = page.eval_on_selector(
        "#mmq-graph .js-plotly-plot",
        "e => e._fullData.filter(t => t.type === 'scattergl').reduce((n, t) => n + t.x.length, 0)",
    )
    caption = _text(page, "#mmq-caption")
    m = re.search(r"([\d,]+) of ([\d,]+) selected events have a mass and M/Q and are drawn",
                  caption)  # fmt: skip
    assert m, caption
    assert int(m.group(1).replace(",", "")) == drawn
    assert int(m.group(2).replace(",", "")) > drawn  # doubles and PAPS-off events are left out
    names = page.eval_on_selector(
        "#mmq-graph .js-plotly-plot", "e => (e.layout.annotations || []).map(a => a.text)"
    )
    assert {"H+", "O+"} <= set(names)
    page.close()


def test_durations_titles_and_no_notice_over_the_toolbar(browser: Any, served: str) -> None:
    ranges = ",".join(f"1986-039-{h:02d}00:1986-039-{h:02d}30" for h in range(0, 24, 3))
    page = _page(browser, f"{served}/?t={ranges}", "#tl-graph .gtitle")
    page.wait_for_function(
        "() => document.querySelector('#tl-caption').innerText.includes('Timelines of')",
        timeout=30_000,
    )
    caption = _text(page, "#tl-caption")
    assert "8 ranges, 4 h in all" in caption
    assert not re.search(r"\de[+-]\d", caption)
    # the long title wraps inside the figure
    title = page.eval_on_selector("#tl-graph .gtitle", "e => e.querySelectorAll('tspan.line')"
                                  ".length")  # fmt: skip
    assert title >= 2
    right = page.eval_on_selector(
        "#tl-graph", "e => [e.querySelector('.gtitle').getBoundingClientRect().right,"
                     " e.getBoundingClientRect().right]")  # fmt: skip
    assert right[0] <= right[1]
    # a zoom shows no plotly notice ("Double-click to zoom back out")
    assert page.eval_on_selector("#tl-graph .js-plotly-plot", "e => e._context.showTips") is False
    page.evaluate("() => Plotly.relayout(document.querySelector('#tl-graph .js-plotly-plot'),"
                  " {'xaxis.range[0]': '1986-02-08 03:00', 'xaxis.range[1]': '1986-02-08 04:00'})")
    page.wait_for_timeout(500)
    assert page.locator(".plotly-notifier").count() == 0 or "Double-click" not in _text(
        page, ".plotly-notifier")
    page.close()


def test_drag_selected_span_is_rounded_to_the_minute(browser: Any, served: str) -> None:
    page = _page(browser, f"{served}/?t=1986-039", "#tl-graph .nsewdrag")
    page.eval_on_selector("#tl-graph", "e => e.scrollIntoView()")
    box = page.eval_on_selector(
        "#tl-graph .js-plotly-plot",
        "e => { const r = e.getBoundingClientRect(), L = e._fullLayout;"
        " return [r.left + L.xaxis2._offset, L.xaxis2._length,"
        " r.top + L.yaxis2._offset + L.yaxis2._length / 2]; }",
    )
    x0, width, y = box
    page.mouse.move(x0 + width * 0.3137, y)
    page.mouse.down()
    page.mouse.move(x0 + width * 0.45, y + 3, steps=4)
    page.mouse.move(x0 + width * 0.5713, y + 5, steps=4)
    page.mouse.up()
    page.wait_for_function(
        "() => !location.search.includes('t=1986-039&') && !location.search.endsWith('t=1986-039')",
        timeout=15_000,
    )
    t = parse_qs(urlparse(page.url).query)["t"][0]
    page.close()
    # two day-of-year times to the minute (YYYY-DDD-HHMM), no seconds
    assert re.fullmatch(r"1986-039-\d{4}:1986-039-\d{4}", t), t


def test_coverage_scale_and_counts(browser: Any, served: str) -> None:
    page = _page(browser, f"{served}/coverage", "#cov-calendar .xtick")
    plot = "#cov-calendar .js-plotly-plot"
    lo, hi = page.eval_on_selector(plot, "e => e._fullLayout.xaxis.range")
    assert hi - lo <= 16  # a two-week scale around the one day, not a year
    cell = page.eval_on_selector(
        "#cov-calendar .js-plotly-plot", "e => e._fullLayout.xaxis._length / "
        "(e._fullLayout.xaxis.range[1] - e._fullLayout.xaxis.range[0])")  # fmt: skip
    assert cell > 30  # px per day
    assert "1 day with data of 1 daily file" in _text(page, "#cov-summary")
    listing = _text(page, "#cov-list")
    assert "1 out-of-order spin;" in listing or listing.rstrip().endswith("1 out-of-order spin")
    assert "1 out-of-order spins" not in listing
    page.close()


@pytest.fixture(scope="module")
def no_dst(sim_store: SimulatedStores, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a copy of the stores with every Dst missing (a build without Dst), the
    simulated daily file beside them in ``fits/`` as ``awa-build demo`` leaves it."""
    folder = tmp_path_factory.mktemp("no_dst") / "stores"
    shutil.copytree(sim_store.folder, folder)
    shutil.copytree(sim_store.folder.parent / "fits", folder / "fits")
    for spec in (schema.HK_STORE, schema.RATES_STORE):
        with tables.open_file(folder / spec.filename, mode="a") as h5:
            table = h5.get_node(f"/{spec.key}/table")
            if "Dst" in table.colnames:
                table.modify_column(colname="Dst", column=np.full(table.nrows, np.nan))
    with serve(folder, tmp_path_factory.mktemp("no_dst_server")) as base:
        yield base


def test_storm_list_says_why_it_is_empty(browser: Any, no_dst: str, served: str) -> None:
    page = _page(browser, f"{no_dst}/?t=1986-039", "#storm-note")
    page.wait_for_function("() => document.querySelector('#storm-note').innerText.length > 0",
                           timeout=30_000)  # fmt: skip
    note = _text(page, "#storm-note")
    assert "hold no Dst" in note
    assert "--dst" in note
    page.close()
    # with Dst but no hour under the threshold: say so and how to widen it
    page = _page(browser, f"{served}/?t=1986-039", "#storm-note")
    page.fill("#storm-dst", "-900")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#storm-note').innerText.includes('-900')", timeout=30_000
    )
    assert "raise the threshold" in _text(page, "#storm-note")
    page.close()


def test_coverage_says_the_demo_quirks_are_injected(
    browser: Any, no_dst: str, served: str
) -> None:
    page = _page(browser, f"{no_dst}/coverage", "#cov-summary")
    note = _text(page, "#cov-simulated")
    assert "on purpose" in note
    for quirk in ("out-of-order", "L fill values", "TOF = 1019", "PAPS off"):
        assert quirk in note
    page.close()
    # stores without simulated daily files beside them: no such note
    page = _page(browser, f"{served}/coverage", "#cov-summary")
    assert page.locator("#cov-simulated").count() == 0
    page.close()
