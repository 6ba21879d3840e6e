"""End-to-end: timeline zoom and pan as a scientist uses them (issue 14, first bullet).

On the one-day store (1986-02-08, day 039), every way of zooming -- a box drawn with the
toolbar's zoom tool, the mouse wheel, the toolbar's "Zoom in" button twice, a pan -- must
leave every panel's time axis on the chosen span (not snap back to the whole day) and the
traces re-read for that span at full detail (their data fill the span, nothing outside it);
"Reset zoom" and the toolbar's Autoscale bring the whole day back.  The axis range and the
data extent are read from the figure in the page (``_fullLayout`` and ``data``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PLOT = "#tl-graph .js-plotly-plot"
DAY0, DAY1 = datetime(1986, 2, 8), datetime(1986, 2, 9)
#: Tolerance of a span drawn with the mouse (one pixel is about 1.5 min of a day).
SLACK = timedelta(minutes=6)

_STATE = """e => {
  const L = e._fullLayout, ranges = {};
  for (const k of Object.keys(L)) if (/^xaxis\\d*$/.test(k)) ranges[k] = L[k].range.map(String);
  const lines = e.data.filter(t => t.type !== 'bar' && t.x && t.x.length);
  const xs = lines.flatMap(t => [t.x[0], t.x[t.x.length - 1]]).map(String).sort();
  const fsr = lines.find(t => t.name === 'FSR');
  return {ranges, first: xs[0], last: xs[xs.length - 1], n: fsr ? fsr.x.length : 0,
          caption: document.querySelector('#tl-caption').innerText};
}"""


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T")[:19])


def _state(page: Any) -> dict[str, Any]:
    return dict(page.eval_on_selector(PLOT, _STATE))


def _settled(page: Any, before: str) -> dict[str, Any]:
    """Wait until the caption differs from ``before`` (the re-read arrived); the state."""
    page.wait_for_function(
        f"() => document.querySelector('#tl-caption').innerText !== {before!r}", timeout=30_000
    )
    page.wait_for_load_state("networkidle")
    return _state(page)


def _window(state: dict[str, Any]) -> tuple[datetime, datetime]:
    """The time axis range, the same on every panel (the panels are linked)."""
    ranges = {tuple(r) for r in state["ranges"].values()}
    assert len(ranges) == 1, f"panels disagree: {state['ranges']}"
    a, b = next(iter(ranges))
    return _t(a), _t(b)


def _check_reread(state: dict[str, Any], lo: datetime, hi: datetime) -> None:
    """The axis shows [lo, hi] and the data were re-read for it: they fill it, no more."""
    a, b = _window(state)
    assert abs(a - lo) <= SLACK, (a, lo)
    assert abs(b - hi) <= SLACK, (b, hi)
    first, last = _t(state["first"]), _t(state["last"])
    assert a - timedelta(seconds=1) <= first <= a + timedelta(minutes=2), (first, a)
    assert b - timedelta(minutes=2) <= last <= b + timedelta(seconds=1), (last, b)
    assert "Zoomed to" in state["caption"]


def _check_whole_day(state: dict[str, Any]) -> None:
    """The whole day on the axis, drawn from data over the whole day."""
    assert _window(state) == (DAY0, DAY1)
    assert _t(state["first"]) < DAY0 + timedelta(minutes=2)
    assert _t(state["last"]) > DAY1 - timedelta(minutes=2)
    assert "Zoomed to" not in state["caption"]


def _x_pixel(page: Any, when: datetime, axis: str = "xaxis2") -> float:
    """Page x of ``when`` on a panel's time axis."""
    return float(page.eval_on_selector(
        PLOT, f"(e, t) => e.getBoundingClientRect().left + e._fullLayout.{axis}._offset"
              f" + e._fullLayout.{axis}.d2p(t)", when.isoformat(sep=" "),
    ))  # fmt: skip


def _y_middle(page: Any, axis: str = "yaxis2") -> float:
    return float(page.eval_on_selector(
        PLOT, f"e => e.getBoundingClientRect().top + e._fullLayout.{axis}._offset"
              f" + e._fullLayout.{axis}._length / 2",
    ))  # fmt: skip


def _tool(page: Any, title: str) -> None:
    """Click a button of the timeline's toolbar (it shows on hover)."""
    page.hover(PLOT)
    page.click(f"#tl-graph .modebar-btn[data-title='{title}']")


@pytest.fixture
def day(browser: Any, served: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{served}/?t=1986-039")
    page.wait_for_function(
        "() => (document.querySelector('#tl-caption')?.innerText || '').includes('Timelines of')",
        timeout=30_000,
    )
    page.wait_for_load_state("networkidle")
    page.eval_on_selector("#tl-graph", "e => e.scrollIntoView()")  # the mouse acts in view
    yield page
    page.close()


def test_box_zoom_holds_on_every_panel_and_rereads(day: Any) -> None:
    page = day
    full = _state(page)
    assert _window(full) == (DAY0, DAY1)
    lo, hi = DAY0 + timedelta(hours=6), DAY0 + timedelta(hours=12)
    _tool(page, "Zoom")
    y = _y_middle(page)
    page.mouse.move(_x_pixel(page, lo), y)
    page.mouse.down()
    page.mouse.move(_x_pixel(page, lo + timedelta(hours=3)), y + 5, steps=5)
    page.mouse.move(_x_pixel(page, hi), y + 10, steps=5)
    page.mouse.up()
    zoomed = _settled(page, full["caption"])
    _check_reread(zoomed, lo, hi)
    # the axis stays there (no late figure puts the whole day back)
    page.wait_for_timeout(1500)
    assert _state(page)["ranges"] == zoomed["ranges"]
    # full detail: the 6 h hold about a quarter of the day's spins, not a quarter of the points
    assert zoomed["n"] > 0.9 * full["n"]

    # "Reset zoom" under the hint: the whole day again
    page.click("#tl-reset-zoom")
    _check_whole_day(_settled(page, zoomed["caption"]))


def test_scroll_zoom_then_autoscale_resets(day: Any) -> None:
    page = day
    full = _state(page)
    middle = DAY0 + timedelta(hours=12)
    page.mouse.move(_x_pixel(page, middle), _y_middle(page))
    page.mouse.wheel(0, -400)
    zoomed = _settled(page, full["caption"])
    a, b = _window(zoomed)
    assert DAY0 < a < middle < b < DAY1, (a, b)
    assert b - a < timedelta(hours=23)
    _check_reread(zoomed, a, b)
    # the toolbar's Autoscale: back to the whole day, re-read
    _tool(page, "Autoscale")
    _check_whole_day(_settled(page, zoomed["caption"]))


def test_zoom_in_twice_then_pan(day: Any) -> None:
    page = day
    state = _state(page)
    spans = []
    for _ in range(2):
        _tool(page, "Zoom in")
        state = _settled(page, state["caption"])
        a, b = _window(state)
        _check_reread(state, a, b)
        spans.append((a, b))
    # each click halves the visible span around the middle: 12 h, then 6 h
    assert spans[0] == (DAY0 + timedelta(hours=6), DAY0 + timedelta(hours=18))
    assert spans[1] == (DAY0 + timedelta(hours=9), DAY0 + timedelta(hours=15))

    # pan two hours later: the same 6 h width, moved, data re-read for the new span
    _tool(page, "Pan")
    y = _y_middle(page)
    x0 = _x_pixel(page, DAY0 + timedelta(hours=13))
    x1 = _x_pixel(page, DAY0 + timedelta(hours=11))
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=5)
    page.mouse.move(x1, y, steps=5)
    page.mouse.up()
    panned = _settled(page, state["caption"])
    lo, hi = DAY0 + timedelta(hours=11), DAY0 + timedelta(hours=17)
    _check_reread(panned, lo, hi)
    a, b = _window(panned)
    assert abs((b - a) - timedelta(hours=6)) <= timedelta(seconds=2)

    # "Reset zoom" under the hint: the whole day again
    page.click("#tl-reset-zoom")
    _check_whole_day(_settled(page, panned["caption"]))
