"""End-to-end: the science team's PHA options in real headless Chromium (issue 9, points 4-5).

One test per row: their grids (drawn, downloadable, also when too fine to draw), a custom
title, linear M-M/Q axes, E-T ticks and a fractional bin, mass and M/Q ranges of the events
CSV, their histogram files uploaded, and their default filters with AWA's rejections named.
"""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

T = "t=1986-039-0200:0800"
ET = "#et-graph .js-plotly-plot"
MMQ = "#mmq-graph .js-plotly-plot"


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    _caption(page, "#et-caption", "Time:")
    _caption(page, "#mmq-caption", "Time:")
    return page


def _caption(page: Any, cid: str, text: str) -> None:
    page.wait_for_function(
        "([c, t]) => document.querySelector(c) && document.querySelector(c).innerText"
        ".includes(t)",
        arg=[cid, text],
        timeout=60_000,
    )


def _apply(page: Any, cid: str, value: str, url_part: str) -> None:
    page.fill(cid, value)
    page.press(cid, "Enter")
    page.wait_for_function(
        "p => window.location.search.includes(p)", arg=url_part, timeout=30_000
    )


def _get(served: str, page: Any, link: str) -> str:
    href = page.get_attribute(link, "href")
    assert href, link
    with urllib.request.urlopen(served + "/" + href.lstrip("/"), timeout=60) as r:
        text: str = r.read().decode()
    return text


def test_team_grid_drawn_and_downloadable(browser: Any, served: str, shots: Path) -> None:
    page = _open(browser, f"{served}/?{T}")
    page.check("#pha-grid input[value='team']")
    page.wait_for_function("() => window.location.search.includes('grid=team')", timeout=30_000)
    _caption(page, "#et-caption", "251,001 bins")
    assert page.input_value("#et-bin") == "1"
    assert page.input_value("#et-x") == "0,500"
    assert page.input_value("#mmq-x") == "0.5,100"
    shape = page.eval_on_selector(ET, "e => [e._fullData[0].z.length, e._fullData[0].z[0].length]")
    assert shape == [501, 501]
    _caption(page, "#mmq-caption", "team's grid")
    assert page.eval_on_selector(MMQ, "e => e._fullData[0].x.length") == 231
    page.screenshot(path=str(shots / "pha_team_grid_1600x1000.png"))
    text = _get(served, page, "#et-download")
    lines = text.splitlines()
    assert lines[0].startswith("# Filters:")
    assert lines[1].startswith("# PLOTTITLE: E-T")
    assert len(lines) == 3 + 1 + 501  # three '#' lines, the x edges, 501 rows
    # a grid too fine to draw still offers its CSV
    page.goto(f"{served}/?{T}&etbin=1&etx=0,1023&ety=0,1023")
    _caption(page, "#et-caption", "too many to draw")
    fine = _get(served, page, "#et-download")
    assert len(fine.splitlines()) == 3 + 1 + 1024


def test_custom_plot_title(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?{T}")
    _apply(page, "#plot-title", "O+ in the storm", "title=O%2B%20in%20the%20storm")
    page.wait_for_function(
        "s => document.querySelector(s).layout.title.text === 'O+ in the storm'",
        arg=ET, timeout=30_000,
    )  # fmt: skip
    page.wait_for_function(
        "s => document.querySelector(s).layout.title.text === 'O+ in the storm'",
        arg=MMQ, timeout=30_000,
    )  # fmt: skip
    assert page.text_content("#et-graph .gtitle") == "O+ in the storm"
    assert _get(served, page, "#mmq-download").splitlines()[1] == "# PLOTTITLE: O+ in the storm"


def test_linear_mmq_axes(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?{T}")
    assert page.eval_on_selector(MMQ, "e => e._fullLayout.xaxis.type") == "log"
    page.uncheck("#mmq-flags input[value='mlog']")
    page.wait_for_function("() => window.location.search.includes('mlog=0')", timeout=30_000)
    _caption(page, "#mmq-caption", "Linear axes")
    axes = page.eval_on_selector(
        MMQ, "e => [e._fullLayout.xaxis.type, e._fullLayout.yaxis.type, e._fullLayout.xaxis.range]"
    )
    assert axes[:2] == ["linear", "linear"]
    assert axes[2] == pytest.approx([0.5, 60.0])


def test_et_ticks_and_fractional_bin(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?{T}")
    _apply(page, "#et-bin", "2.5", "etbin=2.5")
    _apply(page, "#et-tick", "100", "ettick=100")
    page.wait_for_function(
        "s => { const e = document.querySelector(s); return e && e._fullLayout.xaxis.dtick === 100"
        " && Math.abs(e._fullData[0].x[1] - e._fullData[0].x[0] - 2.5) < 1e-9; }",
        arg=ET, timeout=30_000,
    )  # fmt: skip
    ticks = page.eval_on_selector_all("#et-graph .xtick text", "es => es.map(e => e.textContent)")
    assert ticks[:3] == ["0", "100", "200"]
    csv = _get(served, page, "#et-download")
    assert csv.splitlines()[3].startswith(",0,2.5,5,7.5,")


def test_events_csv_mass_and_mpq_ranges(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?{T}")
    _apply(page, "#events-mass", "10,20", "evm=10,20")
    _apply(page, "#events-mpq", "1.5,9", "evq=1.5,9")
    page.wait_for_function(
        "() => document.querySelector('#et-events-download').href.includes('evq=1.5,9')",
        timeout=30_000,
    )
    frame = pd.read_csv(io.StringIO(_get(served, page, "#et-events-download")), comment="#")
    assert len(frame) > 0
    assert frame["mass_amu"].between(10, 20).all()
    assert frame["mpq_amu_per_e"].between(1.5, 9).all()


TEAM_MMQ = (
    "# Filters: L >= 2.0, L <= 10.0\n# PLOTTITLE: M-MPQ<lf>Bin Width 0.3; 7 PHAs of 9 total\n#\n"
    ",1.0,2.0,4.0\n4.0000,0.0000,1.0000,0.0000\n2.0000,0.0000,2.0000,3.0000\n"
    "1.0000,1.0000,0.0000,0.0000\n"
)


def test_their_histogram_file_is_uploaded(browser: Any, served: str, tmp_path: Path) -> None:
    path = tmp_path / "AMPTE_CHEM_MMpQ_Hist.csv"
    path.write_text(TEAM_MMQ)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{served}/?{T}&tab=upload")
    page.set_input_files("#upload input[type=file]", str(path))
    _caption(page, "#upload-caption", "counts")
    assert "7 counts in 4 non-empty bins" in page.inner_text("#upload-caption")
    assert page.eval_on_selector("#upload-graph .js-plotly-plot",
                                 "e => e._fullLayout.xaxis.type") == "log"  # fmt: skip


def test_team_defaults_and_awas_rejections(browser: Any, served: str) -> None:
    page = _open(browser, f"{served}/?{T}")
    flags = page.eval_on_selector_all(
        "#flags input:checked, #rate-flags input:checked", "es => es.map(e => e.value)"
    )
    assert set(flags) == {"tri", "r1019", "r3", "rssd", "brdcr", "br2tcr", "rnbrn"}
    caption = page.inner_text("#et-caption")
    assert "triples only" in caption
    assert "AWA also rejects TOF = 1019, Range 3, SSDID >= 4" in caption
    page.uncheck("#flags input[value='r3']")
    _caption(page, "#et-caption", "AWA also rejects TOF = 1019, SSDID >= 4 (")
