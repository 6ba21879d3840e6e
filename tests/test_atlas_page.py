"""Atlas page: the index, month paging, thumbnail links and the static image route."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import coverage, create_app
from awa.pages import atlas as atlas_page
from awa.settings import Settings
from data_build import atlas, stores
from tests import fitsfactory as ff


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stores of 1986-02-09 and 1986-03-02, and their atlas in ``data/atlas``."""
    tmp = tmp_path_factory.mktemp("atlas_page")
    files = []
    for name, start in (("1986_040", "1986-02-09T01:00:00"), ("1986_061", "1986-03-02T02:00:00")):
        cols = ff.default_columns(4, start=ff.seconds(start), seed=len(files))
        files.append(ff.write_fits(ff.build_hdul(cols), tmp / f"{name}.fits.gz"))
    out = tmp / "data"
    kp_t = pd.date_range("1986-02-01", "1986-03-05", freq="3h")
    kp = pd.Series(np.linspace(1, 6, len(kp_t)), index=kp_t)
    stores.build_stores(files, out, kp=kp, progress=None)
    atlas.build_atlas(out, out / "atlas", progress=None)
    return out


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, cache_type="null")


def _find(component: Any, cls: str) -> list[Any]:
    """Components in a tree whose className contains ``cls``."""
    out = []
    if isinstance(component, list | tuple):
        for c in component:
            out += _find(c, cls)
        return out
    if cls in (getattr(component, "className", None) or "").split():
        out.append(component)
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        out += _find(children, cls)
    return out


def test_index_and_months(data_dir: Path) -> None:
    days = coverage.read_atlas_index(data_dir)
    assert [d.date for d in days] == [dt.date(1986, 2, 9), dt.date(1986, 3, 2)]
    assert days[0].thumb == "thumbs/1986-02-09.png"
    assert coverage.atlas_months(days) == ["1986-02", "1986-03"]
    assert atlas_page.month_of("", ["1986-02", "1986-03"]) == "1986-02"
    assert atlas_page.month_of("?month=1986-03", ["1986-02", "1986-03"]) == "1986-03"
    assert atlas_page.month_of("?month=1987-07", ["1986-02"]) == "1987-07"
    assert atlas_page.month_of("?month=garbage", ["1986-02"]) == "1986-02"
    assert coverage.parse_month("1986-13") is None


def test_month_grid_links_thumbnails_to_the_browser(data_dir: Path) -> None:
    content = atlas_page.month_content(_settings(data_dir), "?month=1986-02")
    cells = _find(content, "awa-atlas-cell")
    assert len(cells) == 5 + 28  # Feb 1986 starts on a Saturday: five blank cells first
    opened = _find(content, "awa-atlas-open")
    assert [a.href for a in opened] == ["/?t=1986-040"]
    thumb = _find(content, "awa-atlas-thumb")[0]
    assert thumb.src == "/atlas-files/thumbs/1986-02-09.png"
    assert _find(content, "awa-atlas-full")[0].href == "/atlas-files/1986-02-09.png"
    assert len(_find(content, "awa-atlas-empty")) == 27
    title = [c for c in _find(content, "awa-pager-month")][0]
    assert title.children == "February 1986"
    links = {c.id: c.href for c in _find(content, "awa-pager-link")}
    assert links["atlas-next-data"] == "/atlas?month=1986-03"
    assert links["atlas-next"] == "/atlas?month=1986-03"
    assert links["atlas-prev"] == "/atlas?month=1986-01"
    assert "atlas-prev-data" not in links  # no earlier month with images
    march = atlas_page.month_content(_settings(data_dir), "?month=1986-03", "/awa/")
    assert [a.href for a in _find(march, "awa-atlas-open")] == ["/awa/?t=1986-061"]


def _get(client: Any, url: str) -> tuple[int, str, bytes]:
    """Status, mimetype and body of a GET (the response, a file stream, is closed)."""
    with client.get(url) as r:
        return r.status_code, r.mimetype, r.get_data()


def test_images_are_served_as_static_files(data_dir: Path) -> None:
    client = create_app(_settings(data_dir)).server.test_client()
    status, mimetype, body = _get(client, "/atlas-files/thumbs/1986-02-09.png")
    assert status == 200
    assert mimetype == "image/png"
    assert body == (data_dir / "atlas" / "thumbs" / "1986-02-09.png").read_bytes()
    status, _, body = _get(client, "/atlas-files/index.json")
    assert json.loads(body)["days"][0]["date"] == "1986-02-09"
    for bad in ("/atlas-files/../AMPTE_CHEM_coverage.json", "/atlas-files/%2e%2e/x.png",
                "/atlas-files/1986-02-10.png", "/atlas-files/thumbs/../../fits.txt"):  # fmt: skip
        assert _get(client, bad)[0] == 404, bad


def test_missing_atlas_names_the_build_command(tmp_path: Path) -> None:
    content = atlas_page.month_content(_settings(tmp_path), "")
    messages = _find(content, "awa-message")
    assert "awa-build atlas --data" in messages[0].children
    client = create_app(_settings(tmp_path)).server.test_client()
    status, _, body = _get(client, "/atlas-files/thumbs/1986-02-09.png")
    assert status == 404
    assert b"awa-build atlas" in body


def test_malformed_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "atlas").mkdir()
    index = tmp_path / "atlas" / "index.json"
    index.write_text(json.dumps({"days": [{"date": "1986-02-09", "image": "../../etc/x.png",
                                           "thumb": "t.png"}]}))  # fmt: skip
    with pytest.raises(coverage.CoverageMissingError, match="inside the atlas folder"):
        coverage.read_atlas_index(tmp_path)
    index.write_text("[]")
    with pytest.raises(coverage.CoverageMissingError, match="not an atlas index"):
        coverage.read_atlas_index(tmp_path)


def test_atlas_page_layout_reads_the_month_from_the_url(data_dir: Path) -> None:
    page = atlas_page.layout(_settings(data_dir), "?month=1986-03")
    assert [a.href for a in _find(page, "awa-atlas-open")] == ["/?t=1986-061"]
    nav = _find(page, "awa-nav-active")
    assert nav[0].children == "Atlas"


@pytest.mark.parametrize("month", ["1986-13", "abc", "1986-00", "86-2-1", "<b>x</b>"])
def test_an_invalid_month_is_said_not_replaced(data_dir: Path, month: str) -> None:
    content = atlas_page.month_content(_settings(data_dir), f"?month={month}", "/awa/")
    messages = _find(content, "awa-message")
    assert messages[0].children.startswith(f"Invalid month {month!r}: write the month as YYYY-MM")
    assert _find(content, "awa-atlas-grid") == []  # no other month shown in its place
    assert _find(content, "awa-pager-month") == []
    first = [c for c in _find(content, "awa-caption")][0].children
    assert "The atlas covers 1986-02 to 1986-03" in first[0]
    assert first[1].href == "/awa/atlas?month=1986-02"
    # a valid month, and no month, still show their grid
    assert _find(atlas_page.month_content(_settings(data_dir), "?month=1986-03"), "awa-atlas-grid")
    assert _find(atlas_page.month_content(_settings(data_dir), ""), "awa-atlas-grid")


def test_null_byte_in_an_atlas_path_is_a_404(data_dir: Path) -> None:
    client = create_app(_settings(data_dir)).server.test_client()
    for bad in ("/atlas-files/x.png%00.json", "/atlas-files/thumbs/1986-02-09.png%00",
                "/atlas-files/%00", "/atlas%00", "/download/et.csv%00?t=1986-040"):  # fmt: skip
        status, _, body = _get(client, bad)
        assert status == 404, bad
        assert b"null byte" in body
    assert _get(client, "/atlas-files/thumbs/1986-02-09.png")[0] == 200


def test_a_range_without_data_names_the_stores_coverage(data_dir: Path) -> None:
    from awa import views

    settings = _settings(data_dir)
    state = views.state_of("?t=1985-001")
    r = state.selection.times[0]  # the range as the time grammar reads it
    outside = views.et_view(settings, state)
    expected = (f"No data between {r.start:%Y-%m-%d %H:%M} and {r.end:%Y-%m-%d %H:%M} UTC: the "
                f"stores cover 1986-02-09 01:00 to 1986-03-02 02:")  # fmt: skip
    assert outside.caption.startswith(expected)
    assert "no events match" not in outside.caption.lower()
    assert outside.figure.layout.meta["awa_message"].replace("<br>", " ").startswith(expected)
    gap = views.mmq_view(settings, views.state_of("?t=1986-045"))
    assert gap.caption.startswith("No data between 1986-02-14 00:00 and ")
    assert "falls in a gap" in gap.caption
    for view in (views.timeline_view, views.me_view, views.me_timeline_view):
        caption = view(settings, views.state_of("?t=1987-001")).caption
        assert caption.startswith("No data between 1987-01-01 00:00 and "), view.__name__
        assert "the stores cover 1986-02-09" in caption
    inside = views.et_view(settings, views.state_of("?t=1986-040"))
    assert "No data" not in inside.caption
    assert "events of" in inside.caption
