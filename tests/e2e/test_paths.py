"""Browser test of the served app's paths and of an uploaded title with HTML in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIELD_CASE = ROOT / "tests" / "fixtures" / "upload" / "awa_et_excel_utf8.csv"


def test_pages_work_unknown_paths_are_404_and_an_uploaded_title_is_text(
    browser: Any, served: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for path in ("/anything", "/hapi/nothing", "/%2e%2e/%2e%2e/etc/passwd",
                 "/atlas-files/x.png%00.json"):  # fmt: skip
        response = page.goto(served + path)
        assert response is not None
        assert response.status == 404, path
        assert "AWA" not in page.title()  # not the app page
    # /hapi is the HAPI server (awa.hapi): its catalog is JSON
    response = page.goto(served + "/hapi/catalog")
    assert response is not None
    assert response.status == 200
    assert response.json()["HAPI"] == "3.1"
    for path, active in (("/coverage", "Coverage"), ("/atlas", "Atlas"), ("/", "Browser")):
        response = page.goto(served + path)
        assert response is not None
        assert response.status == 200, path
        page.wait_for_selector(".awa-nav-active", timeout=30_000)
        assert page.inner_text(".awa-nav-active") == active

    # the Excel "CSV UTF-8" file of field case 07 is drawn; a title with a link stays text
    page.click("text=Uploaded histograms")
    page.set_input_files("#upload input[type=file]", str(FIELD_CASE))
    page.wait_for_function(
        "() => document.querySelector('#upload-caption').innerText.includes('counts')",
        timeout=30_000,
    )
    assert "805,423 counts in 45 non-empty bins" in page.inner_text("#upload-caption")
    text = FIELD_CASE.read_bytes().replace(
        b"# PLOTTITLE: E-T", b'# PLOTTITLE: <a href="https://example.org/">click</a> E-T'
    )
    evil = tmp_path / "evil.csv"
    evil.write_bytes(text)
    page.set_input_files("#upload input[type=file]", str(evil))
    page.wait_for_function(
        "() => document.querySelector('#upload-caption').innerText.includes('evil.csv')",
        timeout=30_000,
    )
    drawn = page.eval_on_selector("#upload-graph .main-svg:last-of-type",
                                  "e => e.parentNode.textContent")  # fmt: skip
    assert '<a href="https://example.org/">click</a> E-T' in drawn
    assert page.locator("#upload-graph svg a").count() == 0  # no live link in the figure
