"""The pages under the Content-Security-Policy in headless Chromium, and the upload limit.

Issue 13: the CSP (scripts only from the app plus the hashes of Dash's inline scripts,
no eval, no framing) must leave every page working: figures drawn by callbacks, the
clientside share button, tabs.  The browser console must hold no CSP violation.  A file
larger than the upload limit gets a message in the upload caption instead of silence.
"""

from __future__ import annotations

from typing import Any

import pytest

from awa.pages.cards import UPLOAD_MAX_BYTES

pytestmark = pytest.mark.e2e

T = "?t=1986-039-0300:1986-039-0400"


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)  # fmt: skip
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return problems


def test_pages_render_and_callbacks_run_under_the_csp(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    response = page.goto(served + "/" + T)
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    # server callbacks drew the three figures and their captions
    for fid in ("#et-graph", "#mmq-graph", "#tl-graph"):
        page.wait_for_selector(f"{fid} .main-svg", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#et-caption').innerText.includes('events of')",
        timeout=30_000,
    )
    # a tab switch and the other pages
    page.click("text=Uploaded histograms")
    page.wait_for_selector("#upload", timeout=30_000)
    for path, active in (("/coverage", "Coverage"), ("/atlas", "Atlas")):
        page.goto(served + path)
        page.wait_for_selector(".awa-nav-active", timeout=30_000)
        assert page.inner_text(".awa-nav-active") == active
    violations = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert violations == []
    assert [p for p in problems if p.startswith("pageerror")] == []


def test_a_too_large_upload_gets_a_message(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    page.goto(served + "/" + T)
    page.click("text=Uploaded histograms")
    page.wait_for_selector("#upload input[type=file]", state="attached", timeout=30_000)
    assert f"{UPLOAD_MAX_BYTES // 1_000_000} MB at most" in page.inner_text("#upload")
    big = {"name": "big.csv", "mimeType": "text/csv", "buffer": b"1," * (UPLOAD_MAX_BYTES // 2 + 1)}
    page.set_input_files("#upload input[type=file]", files=[big])
    page.wait_for_function(
        "() => document.querySelector('#upload-caption').innerText.includes('Not uploaded')",
        timeout=30_000,
    )
    text = page.inner_text("#upload-caption")
    assert "big.csv (20.0 MB)" in text
    assert "20.0 MB at most" in text
    assert [p for p in problems if "413" in p] == []  # nothing was sent
