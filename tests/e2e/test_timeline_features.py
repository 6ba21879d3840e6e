"""End-to-end: the timeline options of the team's app, driven through the page's controls.

One test per row of issue 9, point 5: with filters, y ranges, period counter 0 only,
quantities and ratios on one axis (and a zoom that re-reads them), the CSV of the spins a
rate filter rejected.  Expected values come from the rates store read with pandas.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.builtstore import SimulatedStores

pytestmark = pytest.mark.e2e

PLOT = "#tl-graph .js-plotly-plot"
START, END = "1986-02-08 03:00", "1986-02-08 09:00"
TIME = "1986-039-0300:0900"


@pytest.fixture(scope="module")
def rates(sim_store: SimulatedStores) -> pd.DataFrame:
    """The spins of the test time range, read with pandas."""
    df = pd.read_hdf(sim_store.folder / "AMPTE_CHEM_rates_dst.h5", "ampte_rates")
    t = df["SpinStartTime"]
    return df[(t >= START) & (t < END)].reset_index(drop=True)


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#tl-graph .main-svg", timeout=30_000)
    _wait(page, "() => document.querySelector('#tl-caption').innerText.includes('Timelines of')")
    return page


def _wait(page: Any, js: str) -> None:
    page.wait_for_function(js, timeout=30_000)


def _caption_has(page: Any, text: str) -> None:
    _wait(page, f"() => document.querySelector('#tl-caption').innerText.includes({text!r})")


def _traces(page: Any) -> list[dict[str, Any]]:
    """The timeline's traces as drawn (values: null for a gap)."""
    return list(page.eval_on_selector(
        PLOT, "e => e._fullData.map(t => ({name: t.name, yaxis: t.yaxis || 'y', n: t.y.length,"
              " y: Array.from(t.y, v => (v === null || Number.isNaN(v)) ? null : v)}))"
    ))  # fmt: skip


def test_with_filters_checkbox_filters_the_rate_timelines(
    browser: Any, served: str, rates: pd.DataFrame
) -> None:
    page = _open(browser, f"{served}/?t=1986-039-0300:0400&panels=FSR&L=8.7,9&brdcr=1")
    _caption_has(page, "All spins in the time range")
    page.check("#tl-flags input[value='tlf']")
    _wait(page, "() => window.location.search.includes('tlf=1')")
    _caption_has(page, "spins kept")
    hour = rates[rates["SpinStartTime"] < "1986-02-08 04:00"]
    ok = (hour["L"].between(8.7, 9) & hour["DPU_Mode"].isin((0, 2)) & (hour["TAC_Slope"] == 0)
          & (hour["PHA_Priority"] == 78)
          & (hour["BR0"] + hour["BR1"] + hour["BR2"] <= hour["DCR"])).to_numpy()  # fmt: skip
    assert 0 < ok.sum() < len(hour)
    caption = page.inner_text("#tl-caption")
    kept = re.search(r"([\d,]+) spins kept", caption)
    assert kept is not None
    assert int(kept.group(1).replace(",", "")) == ok.sum()
    assert "L 8.7-9" in caption
    assert "BR<=DCR" in caption
    # an hour is drawn spin by spin: the failing spins are gaps, the others their FSR
    fsr = _traces(page)[0]["y"]
    assert fsr == [int(v) if keep else None for v, keep in zip(hour["FSR"], ok, strict=True)]
    assert "tlf=1" in page.get_attribute("#tl-download", "href")
    page.close()


def test_y_ranges_per_panel(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?t={TIME}&panels=FSR,L")
    page.fill("#tl-yranges", "FSR:10,1e4; L:2,8")
    page.press("#tl-yranges", "Enter")
    _wait(page, "() => window.location.search.includes('tly=')")
    _wait(page, "() => { const L = document.querySelector('#tl-graph .js-plotly-plot')"
                "._fullLayout; return L.yaxis2.range[1] === 8; }")  # fmt: skip
    ranges = page.eval_on_selector(
        PLOT, "e => [e._fullLayout.yaxis.range, e._fullLayout.yaxis2.range, "
              "e._fullLayout.yaxis.type]"
    )  # fmt: skip
    assert ranges[0] == pytest.approx([1.0, 4.0])  # log axis: log10(10), log10(1e4)
    assert ranges[1] == pytest.approx([2.0, 8.0])
    assert ranges[2] == "log"
    # one range for every chosen panel
    page.fill("#tl-yranges", "0,50")
    page.press("#tl-yranges", "Enter")
    _wait(page, "() => { const L = document.querySelector('#tl-graph .js-plotly-plot')"
                "._fullLayout; return L.yaxis2.range[1] === 50; }")  # fmt: skip
    assert page.eval_on_selector(PLOT, "e => e._fullLayout.yaxis2.range") == [0, 50]
    page.close()


def test_period_counter_zero_only(browser: Any, served: str, rates: pd.DataFrame) -> None:
    page = _open(browser, f"{served}/?t={TIME}&panels=DCR")
    page.check("#tl-flags input[value='pc0']")
    _wait(page, "() => window.location.search.includes('pc0=1')")
    _caption_has(page, "period counter 0 only")
    first = rates[rates["Period_Cntr"] == 0]
    dcr = _traces(page)[0]
    assert len(dcr["y"]) == len(first) < len(rates) / 10
    assert dcr["y"] == first["DCR"].tolist()
    page.close()


def test_quantities_and_ratios_on_one_axis_and_zoom(
    browser: Any, served: str, rates: pd.DataFrame
) -> None:
    page = _open(browser, f"{served}/?t=1986-039-0300:0400&panels=FSR")
    page.fill("#tl-quantities", "R0/BR0, FSR/DCR")
    page.press("#tl-quantities", "Enter")
    _wait(page, "() => window.location.search.includes('tlq=R0/BR0,FSR/DCR')")
    _wait(page, "() => document.querySelector('#tl-graph .js-plotly-plot').data"
                ".some(t => t.name === 'FSR/DCR')")  # fmt: skip
    traces = {t["name"]: t for t in _traces(page)}
    assert traces["R0/BR0"]["yaxis"] == traces["FSR/DCR"]["yaxis"] != traces["FSR"]["yaxis"]
    hour = rates[rates["SpinStartTime"] < "1986-02-08 04:00"]
    dcr = hour["DCR"].to_numpy()
    expected = [None if d == 0 else f / d for f, d in zip(hour["FSR"], dcr, strict=True)]
    got = traces["FSR/DCR"]["y"]
    assert len(got) == len(expected)
    assert (dcr == 0).any()
    assert all((a is None and b is None) or (a is not None and b is not None
               and math.isclose(a, b, rel_tol=1e-12)) for a, b in zip(got, expected, strict=True))
    axis = "yaxis" + traces["FSR/DCR"]["yaxis"][1:]
    assert page.eval_on_selector(PLOT, f"e => e._fullLayout.{axis}.title.text") == (
        "R0/BR0, FSR/DCR")  # fmt: skip
    # a zoom re-reads the ratios for the visible span (on the shared URL, freshly drawn)
    shared = page.url
    page.close()
    page = _open(browser, shared)
    _wait(page, "() => document.querySelector('#tl-graph .js-plotly-plot').data"
                ".some(t => t.name === 'FSR/DCR')")  # fmt: skip
    # a zoom made while the page still redraws its first figure can be replaced by that
    # figure (issue 14's zoom problem): zoom again until the view says it re-read the span
    for _ in range(5):
        page.evaluate("() => Plotly.relayout(document.querySelector('#tl-graph .js-plotly-plot'),"
                      " {'xaxis.range[0]': '1986-02-08 03:10:00',"
                      " 'xaxis.range[1]': '1986-02-08 03:20:00'})")  # fmt: skip
        try:
            page.wait_for_function(
                "() => document.querySelector('#tl-caption').innerText.includes('Zoomed to')",
                timeout=6_000,
            )
            break
        except PlaywrightTimeout:
            continue
    _caption_has(page, "Zoomed to")
    zoomed = {t["name"]: t for t in _traces(page)}
    assert {"R0/BR0", "FSR/DCR"} <= set(zoomed)
    n = len(zoomed["FSR/DCR"]["y"])
    window = hour[(hour["SpinStartTime"] >= "1986-02-08 03:10")
                  & (hour["SpinStartTime"] < "1986-02-08 03:20")]  # fmt: skip
    assert abs(n - len(window)) <= 2
    page.close()


def test_rejected_spins_download(browser: Any, served: str, rates: pd.DataFrame) -> None:
    page = _open(browser, f"{served}/?t={TIME}&brdcr=1&br2tcr=1")
    _wait(page, "() => document.querySelector('#tl-rejected-download').href"
                ".includes('download/rejected.csv')")  # fmt: skip
    with page.expect_download() as info:
        page.click("#tl-rejected-download")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), comment="#")
    sum_br = (rates["BR0"] + rates["BR1"] + rates["BR2"] > rates["DCR"]).to_numpy()
    br2 = (rates["BR2"] > rates["TCR"]).to_numpy()
    assert len(frame) == (sum_br | br2).sum() > 0
    assert (frame["failed"].str.contains("sum BR <= DCR").to_numpy()
            == sum_br[sum_br | br2]).all()  # fmt: skip
    times = pd.to_datetime(frame["time_utc"]).to_numpy()
    np.testing.assert_array_equal(times, rates["SpinStartTime"].to_numpy()[sum_br | br2])
    page.close()
