"""End-to-end: the matrix-element rows of issue 9 point 5 in headless Chromium.

The filters of the sidebar reach the ME view (per cycle), the caption says which apply and
which do not, and the per-cycle CSV of ME0..ME511 downloads from the tab's link.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from awa import query
from awa.model import TimeRange
from awa.query.me import CycleFilter
from tests.builtstore import SimulatedStores

pytestmark = pytest.mark.e2e

TIMES = (TimeRange(dt.datetime(1986, 2, 8, 3), dt.datetime(1986, 2, 8, 9)),)


def _wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); "
        "return e && e.textContent.includes(t); }",
        arg=[selector, text],
        timeout=30_000,
    )


def _cycles_in_caption(page: Any) -> int:
    m = re.search(r"summed over ([\d,]+) science cycles", page.inner_text("#me-caption"))
    assert m, page.inner_text("#me-caption")
    return int(m.group(1).replace(",", ""))


def test_sidebar_filters_apply_to_the_me_view(
    browser: Any, served: str, sim_store: SimulatedStores
) -> None:
    key = query.store_key(sim_store.folder)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(served + "/?t=1986-039-0300:0900&tab=me&L=all")
    page.wait_for_selector("#me-graph .heatmaplayer", timeout=30_000)
    _wait_text(page, "#me-caption",
               "Filters applied per cycle: PAPS 0,1,2,3,4,5,6; DPU 0,2; TAC 0; priority N")
    standard = CycleFilter(paps_levels=tuple(range(7)), dpu_modes=(0, 2), tac_slopes=(0,),
                           pha_priorities=(78,))  # fmt: skip
    everything = query.me_totals(key, TIMES, standard).n_cycles
    assert _cycles_in_caption(page) == everything > 0
    assert "Not applied (they select PHA events, not on-board counts): triples only; " \
           "reject TOF=1019" in (
        page.inner_text("#me-caption")
    )
    # a Dst range typed in the sidebar narrows the cycles, as the query layer counts them
    page.fill("#dst-range", "-200,-100")
    page.press("#dst-range", "Enter")
    _wait_text(page, "#me-caption", "Dst -200..-100 nT")
    storm = replace(standard, dst_range=(-200.0, -100.0))
    want = query.me_totals(key, TIMES, storm)
    assert 0 < _cycles_in_caption(page) == want.n_cycles < everything
    _wait_text(page, "#me-tl-caption", "Dst -200..-100 nT")
    # an E/Q step range: the caption says what it means for per-cycle counts
    page.fill("#vstep-range", "0,62")
    page.press("#vstep-range", "Enter")
    _wait_text(page, "#me-caption", "every spin of it has its step in the range")
    want = query.me_totals(key, TIMES, replace(storm, vstep_range=(0, 62)))
    page.wait_for_function(
        "n => document.querySelector('#me-caption').textContent"
        ".includes('summed over ' + n.toLocaleString('en-US') + ' science cycles')",
        arg=want.n_cycles,
        timeout=30_000,
    )
    assert "vs=0,62" in page.url
    assert "dst=-200,-100" in page.url
    page.close()


def test_per_cycle_csv_downloads_from_the_me_tab(
    browser: Any, served: str, sim_store: SimulatedStores
) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(served + "/?t=1986-039-0300:0900&tab=me&L=3,9&kp=4,9")
    page.wait_for_selector("#me-graph .heatmaplayer", timeout=30_000)
    page.wait_for_function(
        "() => (document.querySelector('#me-cycles-download').getAttribute('href') || '')"
        ".includes('me_cycles.csv')",
        timeout=30_000,
    )
    href = page.get_attribute("#me-cycles-download", "href")
    assert href is not None
    assert "L=3,9" in href
    assert "kp=4,9" in href
    with page.expect_download() as info:
        page.click("#me-cycles-download")
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("# Filters applied per cycle: L 3-9; Kp 4o to 9o; PAPS 0,1,2,3,4,5,6; "
                           "DPU 0,2; ")
    table = pd.read_csv(io.StringIO(text), comment="#")
    assert list(table.columns[:11]) == ["SpinStartTime", "PAPS_lvl", "DPU_Mode", "TAC_Slope",
                                        "PHA_Priority", "L", "MAGLAT", "MAGLON", "Dst", "Kp",
                                        "MLTH"]  # fmt: skip
    assert list(table.columns[11:]) == [str(i) for i in range(512)]
    want = query.me_totals(query.store_key(sim_store.folder), TIMES,
                           CycleFilter(l_range=(3.0, 9.0), kp_range=(4.0, 9.0), dpu_modes=(0, 2),
                                       tac_slopes=(0,), pha_priorities=(78,),
                                       paps_levels=tuple(range(7))))  # fmt: skip
    assert 0 < len(table) == want.n_cycles
    assert table[[str(i) for i in range(512)]].sum().to_numpy().tolist() == want.counts.tolist()
    assert table["L"].between(3, 9).all()
    assert table["Kp"].between(4, 9).all()
    # the link fetched directly gives the same file
    with urllib.request.urlopen(served + "/" + href.lstrip("/"), timeout=30) as r:
        assert r.read().decode() == text
    page.close()
