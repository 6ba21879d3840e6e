"""End-to-end: the pages at the screen sizes scientists use (issue 14, layout bullet).

At 1280x800, 1400x900, 1600x1000 and 1920x1080, on the Browser (top and scrolled to the
timelines), Coverage and Atlas pages and with the date picker open, every visible interactive
element is reachable: the element that ``elementFromPoint`` finds at its centre is itself or
one of its descendants.  The date picker reaches any month and year of the mission with the
mouse (year "+", next month) and the keyboard (typed dates).  Screenshots of each state are
saved (``AWA_SCREENSHOT_DIR`` keeps them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SIZES = [(1280, 800), (1400, 900), (1600, 1000), (1920, 1080)]

#: Visible interactive elements whose centre is covered by another element (hidden
#: focus targets of dropdowns, ``aria-hidden``, are not for the user).
_COVERED = """(scope) => {
  const sel = 'a[href], button, input, select, textarea, [role=button], [role=option],'
            + ' .modebar-btn, .dash-dropdown';
  const out = [];
  // scrolled out of sight inside a scrolling box (the sidebar) is not covered
  const clipped = (e, x, y) => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (x < b.left || x > b.right || y < b.top || y > b.bottom) return true;
    }
    return false;
  };
  for (const e of document.querySelector(scope).querySelectorAll(sel)) {
    if (e.closest('[aria-hidden=true]') || e.type === 'hidden') continue;
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const st = getComputedStyle(e);
    if (st.visibility === 'hidden' || st.opacity === '0') continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight || clipped(e, x, y)) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === e || e.contains(hit))) continue;
    out.push(`${e.tagName}#${e.id}.${String(e.className).slice(0, 40)} `
             + `"${(e.innerText || e.value || e.getAttribute('aria-label') || '').slice(0, 20)}"`
             + ` under ${hit ? hit.tagName + '.' + String(hit.className).slice(0, 40) : '-'}`);
  }
  return out;
}"""


def _covered(page: Any, shots: Path, name: str, scope: str = "body") -> list[str]:
    """Screenshot ``name`` and the covered interactive elements under ``scope``."""
    page.screenshot(path=str(shots / f"{name}.png"))
    return list(page.evaluate(_COVERED, scope))


def _settle(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_control_covered(
    browser: Any, served: str, shots: Path, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    size = f"{width}x{height}"
    covered: dict[str, list[str]] = {}
    _settle(page, f"{served}/?t=1986-039")
    page.wait_for_selector("#tl-graph .main-svg", timeout=30_000)
    covered["browser"] = _covered(page, shots, f"browser-{size}")
    page.click("#picker")
    page.wait_for_selector(".dash-datepicker-content", timeout=10_000)
    # the open calendar covers the page under it on purpose: its own controls must be free
    covered["picker"] = _covered(page, shots, f"picker-{size}", ".dash-datepicker-content")
    page.keyboard.press("Escape")
    page.eval_on_selector("#tl-graph", "e => e.scrollIntoView()")
    page.hover("#tl-graph .js-plotly-plot")  # the toolbar shows
    covered["timelines"] = _covered(page, shots, f"timelines-{size}")
    for name in ("coverage", "atlas"):
        _settle(page, f"{served}/{name}")
        covered[name] = _covered(page, shots, f"{name}-{size}")
    page.close()
    assert covered == {k: [] for k in covered}


@pytest.mark.parametrize(("width", "height"), [SIZES[1], SIZES[3]], ids=["1400x900", "1920x1080"])
def test_date_picker_reaches_any_month(browser: Any, served: str, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    _settle(page, f"{served}/?t=1986-039")
    page.click("#picker")
    box = page.locator(".dash-datepicker-content")
    box.wait_for(timeout=10_000)
    # mouse: year "+" three times and the next-month arrow, from February 1986
    for _ in range(3):
        box.get_by_label("Increase value").click()
    box.get_by_label("Next month").click()
    # the calendar redraws after each click: wait (up to 10 s) for it to show March 1989
    controls = box.locator(".dash-datepicker-controls")
    expect(controls.locator("input.dash-input-element")).to_have_value("1989", timeout=10_000)
    expect(controls.locator(".dash-dropdown")).to_contain_text("March", timeout=10_000)
    page.keyboard.press("Escape")
    # keyboard: type both dates; the URL's time range follows
    page.fill("#picker", "1988-07-15")
    page.keyboard.press("Tab")
    end = page.locator(".dash-datepicker-end-date")
    end.fill("1988-07-16")
    end.press("Enter")
    page.wait_for_function("() => location.search.includes('1988')", timeout=10_000)
    times = parse_qs(urlparse(page.url).query)["t"][0]
    page.close()
    assert times.startswith("1988-07-15") or times.startswith("1988-197"), times
