"""End-to-end: the app in real headless Chromium (load, set a time, counts, shared URL)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from awa import query
from awa.model import Selection, parse_time_ranges
from tests.builtstore import SimulatedStores

pytestmark = pytest.mark.e2e

FIGURES = ("#et-graph", "#mmq-graph", "#tl-graph")


def wait_for_figures(page: Any) -> None:
    for fid in FIGURES:
        page.wait_for_selector(f"{fid} .main-svg", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#et-caption') && "
        "document.querySelector('#et-caption').innerText.includes('events of')",
        timeout=30_000,
    )


def wait_caption(page: Any, cid: str, text: str) -> None:
    page.wait_for_function(
        f"() => document.querySelector('{cid}').innerText.includes('{text}')", timeout=30_000
    )


def caption_counts(page: Any, cid: str) -> tuple[int, int]:
    text = page.inner_text(cid)
    m = re.search(r"([\d,]+) events of ([\d,]+) selected", text)
    assert m, text
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


def expected_count(store: SimulatedStores, time_text: str) -> int:
    sel = Selection(times=parse_time_ranges(time_text))
    return sum(len(ev["TOF"]) for ev in query.iter_events(store.folder, sel))


def test_set_time_range_counts_and_shared_url(
    browser: Any, served: str, sim_store: SimulatedStores, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(served + "/")
    wait_for_figures(page)
    assert page.input_value("#time") == "1986-039-0000:1986-040-0000"
    # Type a time range in the day-of-year form and apply it.
    page.fill("#time", "1986-039-0300:0900")
    page.press("#time", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#et-caption').innerText"
        ".includes('03:00 to 1986-02-08 09:00')",
        timeout=30_000,
    )
    assert "t=1986-039-0300:1986-039-0900" in page.url
    n_expected = expected_count(sim_store, "1986-039-0300:0900")
    shown, selected = caption_counts(page, "#et-caption")
    assert selected == n_expected > 0
    assert shown == selected
    wait_caption(page, "#mmq-caption", "03:00 to 1986-02-08 09:00")
    _, mmq_selected = caption_counts(page, "#mmq-caption")
    assert mmq_selected == n_expected
    page.wait_for_function(
        "() => document.querySelector('#tl-caption').innerText.includes('03:00 to')",
        timeout=30_000,
    )
    page.screenshot(path=str(shots / "e2e_1600x1000.png"))
    # Change a filter, then go back: the previous view returns.
    page.fill("#l-range", "4,6")
    page.press("#l-range", "Enter")
    page.wait_for_function("() => window.location.search.includes('L=4,6')", timeout=30_000)
    page.wait_for_function(
        f"() => !document.querySelector('#et-caption').innerText.includes('of {n_expected:,} sel')",
        timeout=30_000,
    )
    page.go_back()
    page.wait_for_function("() => !window.location.search.includes('L=4,6')", timeout=30_000)
    page.wait_for_function(
        f"() => document.querySelector('#et-caption').innerText.includes('of {n_expected:,} sel')",
        timeout=30_000,
    )
    assert page.input_value("#l-range") == "2,10"
    # Reopen the shared URL in a fresh page at the smaller screen size.
    shared = page.url
    page.close()
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(shared)
    wait_for_figures(other)
    assert other.input_value("#time") == "1986-039-0300:1986-039-0900"
    wait_caption(other, "#et-caption", "03:00 to 1986-02-08 09:00")
    assert caption_counts(other, "#et-caption")[1] == n_expected
    other.screenshot(path=str(shots / "e2e_1280x800.png"))
    other.close()


def test_malformed_time_says_what_is_accepted(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "/?t=1986-039-0300:0400")
    wait_for_figures(page)
    page.fill("#time", "1986-02-30")
    page.press("#time", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#message').innerText.includes('not a calendar date')",
        timeout=30_000,
    )
    assert "t=1986-039-0300:1986-039-0400" in page.url or "t=1986-039-0300:0400" in page.url
    page.close()


def test_timeline_selection_sets_the_pha_time_range(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(served + "/?t=1986-039-0200:1400&panels=DCR")
    wait_for_figures(page)
    page.wait_for_function(
        "() => document.querySelector('#tl-caption').innerText.includes('Timelines of DCR')",
        timeout=30_000,
    )
    box = page.locator("#tl-graph .nsewdrag").first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('#time').value !== '1986-039-0200:1986-039-1400'",
        timeout=30_000,
    )
    page.wait_for_function("() => window.location.search.includes('t=1986-039-0')")
    value = page.input_value("#time")
    assert value in page.url
    r = parse_time_ranges(value)[0]
    assert 4.0 < (r.start.hour + r.start.minute / 60) < 6.0
    assert 2.0 < r.seconds / 3600 < 4.0
    page.close()


def test_storm_list_sets_the_time_range(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "/")
    wait_for_figures(page)
    page.click("#storms")
    option = page.locator("text=min Dst").first
    option.wait_for(timeout=30_000)
    label = option.inner_text()
    option.click()
    page.wait_for_function("() => window.location.search.includes('t=1986-039-')")
    start_hour = int(label.split(",")[0][-3:-1])
    r = parse_time_ranges(page.input_value("#time"))[0]
    assert r.start.hour == start_hour
    page.close()


@pytest.mark.parametrize(("width", "height"), [(1600, 1000), (1280, 800)])
def test_layout_fits_without_overlap(
    browser: Any, served: str, shots: Path, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(served + "/?t=1986-039-0300:0900")
    wait_for_figures(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    boxes = {f: page.locator(f).bounding_box() for f in (*FIGURES, ".awa-sidebar")}
    et, mmq, tl, side = (boxes[k] for k in (*FIGURES, ".awa-sidebar"))
    assert et["x"] + et["width"] <= mmq["x"]  # side by side, not overlapping
    assert max(et["y"] + et["height"], mmq["y"] + mmq["height"]) <= tl["y"]
    assert side["x"] + side["width"] <= et["x"]
    assert mmq["x"] + mmq["width"] <= width
    assert et["width"] >= 380  # readable
    page.screenshot(path=str(shots / f"layout_{width}x{height}.png"), full_page=True)
    page.close()


def test_image_format_reaches_the_toolbar(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "/?t=1986-039-0300:0400&img=svg")
    wait_for_figures(page)
    script = "e => e._context.toImageButtonOptions.format"
    page.wait_for_function(
        "() => document.querySelector('#et-graph .js-plotly-plot')"
        "._context.toImageButtonOptions.format === 'svg'",
        timeout=30_000,
    )
    assert page.eval_on_selector("#tl-graph .js-plotly-plot", script) == "svg"
    titles = page.eval_on_selector_all(
        "#et-graph .modebar-btn", "els => els.map(e => e.getAttribute('data-title'))"
    )
    assert not any("Share" in (t or "") for t in titles)  # nothing leaves the machine
    page.close()


def test_matrix_elements_tab_from_the_url(browser: Any, served: str, shots: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "/?t=1986-039-0300:0900&tab=me")
    page.wait_for_selector("#me-graph .heatmaplayer", timeout=30_000)
    wait_caption(page, "#me-caption", "science cycles")
    page.screenshot(path=str(shots / "me_tab_1280x800.png"))
    page.click("text=Explore")
    page.wait_for_function("() => !window.location.search.includes('tab=me')", timeout=30_000)
    wait_for_figures(page)
    page.close()


def test_matrix_element_options_from_a_shared_url(browser: Any, served: str, shots: Path) -> None:
    """A URL with ME options reproduces them: inputs, axis window, colours, boxes, format."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(
        served + "/?t=1986-039-0300:0900&tab=me&mez=10,1e5&mex=0.8,40&mey=0.8,80"
        "&boxes=55,90,252-256&img=svg"
    )
    page.wait_for_selector("#me-graph .heatmaplayer", timeout=30_000)
    wait_caption(page, "#me-tl-caption", "ME boxes 55,90,252-256")
    shown = {i: page.input_value(f"#{i}") for i in ("me-z", "me-x", "me-y", "me-boxes")}
    assert shown == {"me-z": "10,100000", "me-x": "0.8,40", "me-y": "0.8,80",
                     "me-boxes": "55,90,252-256"}  # fmt: skip
    plot = "#me-graph .js-plotly-plot"
    window = page.eval_on_selector(
        plot,
        "e => [e._fullLayout.xaxis.range, e._fullLayout.yaxis.range,"
        " e._fullLayout.coloraxis.cmin, e._fullLayout.coloraxis.cmax]",
    )
    assert window[0] == pytest.approx([math.log10(0.8), math.log10(40.0)])
    assert window[1] == pytest.approx([math.log10(0.8), math.log10(80.0)])
    assert window[2:] == pytest.approx([1.0, 5.0])
    title = page.eval_on_selector("#me-graph .modebar-btn", "e => e.getAttribute('data-title')")
    assert title == "Download plot as SVG"
    page.screenshot(path=str(shots / "me_options_1280x800.png"))
    # A click on the H+ box (M/Q 1.04, M 1.3) removes it from the boxes and from the URL.
    point = page.eval_on_selector(
        plot,
        "e => { const r = e.getBoundingClientRect(), L = e._fullLayout;"
        " return [r.left + L.xaxis._offset + L.xaxis.l2p(Math.log10(1.04)),"
        " r.top + L.yaxis._offset + L.yaxis.l2p(Math.log10(1.3))]; }",
    )
    page.mouse.click(point[0], point[1])
    page.wait_for_function(
        "() => window.location.search.includes('boxes=90,252-256')", timeout=30_000
    )
    wait_caption(page, "#me-tl-caption", "ME boxes 90,252-256")
    assert page.input_value("#me-boxes") == "90,252-256"
    page.go_back()
    wait_caption(page, "#me-tl-caption", "ME boxes 55,90,252-256")
    assert page.input_value("#me-boxes") == "55,90,252-256"
    page.close()
