"""Long views shareable: a view too long for a link is stored and named ``?v=<id>``."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import dash
import pytest

from awa import create_app, view_store, views
from awa.model import MAX_QUERY_CHARS, FilterError, view_id, view_id_of
from awa.pages import explore
from awa.pages.controls import CONTROLS, Ids
from awa.settings import Settings
from tests.builtstore import SimulatedStores

IDS = [str(c.id) for c in CONTROLS]

#: 480 five-minute ranges over four days: about 13,000 characters of query string.
MANY = ";".join(f"1986-{d:03d}-{h:02d}{m:02d}:{h:02d}{m + 5:02d}"
                for d in range(36, 40) for h in range(20) for m in range(0, 60, 10))  # fmt: skip


def test_view_ids_are_content_addressed_and_checked() -> None:
    assert view_id("?t=1986-039") == view_id("?t=1986-039")
    assert view_id("?t=1986-039") != view_id("?t=1986-040")
    assert len(view_id("?t=1986-039")) == 16
    assert view_id_of("?t=1986-039") is None
    assert view_id_of("?v=0123456789abcdef") == "0123456789abcdef"
    with pytest.raises(FilterError, match="'nothex' is not a view id"):
        view_id_of("?v=nothex")
    with pytest.raises(FilterError, match="takes no other parameter"):
        view_id_of("?v=0123456789abcdef&t=1986-039")


def test_stored_views_survive_a_restart_and_stay_private(tmp_path: Path) -> None:
    store = view_store.ViewStore(tmp_path / "views")
    query = "?t=" + MANY
    key = store.save(query)
    assert key == view_id(query)
    assert store.save(query) == key  # the same view, the same id, one file
    assert [p.name for p in (tmp_path / "views").iterdir()] == [f"{key}.txt"]
    assert view_store.ViewStore(tmp_path / "views").load(key) == query  # a new process
    assert view_store.ViewStore(tmp_path / "views").load("0" * 16) is None
    assert stat.S_IMODE((tmp_path / "views").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "views" / f"{key}.txt").stat().st_mode) == 0o600


@pytest.fixture
def app_settings(sim_store: SimulatedStores, tmp_path: Path) -> Settings:
    return Settings(data_dir=sim_store.folder, cache_type="null", cache_dir=tmp_path / "cache",
                    background_dir=tmp_path / "jobs")  # fmt: skip


def _controls(settings: Settings, search: str) -> dict[str, Any]:
    out = explore.on_change(settings, None, search, dict.fromkeys(IDS))
    return {"controls": dict(out["controls"]), "message": out["message"]}


def test_a_long_view_gets_a_short_link_that_loads_and_downloads(app_settings: Settings) -> None:
    app = create_app(app_settings)
    with app.server.test_request_context():
        values = _controls(app_settings, "")["controls"]
        values[Ids.TIME] = MANY
        out = explore.on_change(app_settings, Ids.TIME, "", values)
        assert out["message"] == ""
        short = out["search"]
        assert short.startswith("?v=")
        assert len(short) == 19
        full = "?t=" + views.to_query(views.state_of(short)).removeprefix("?t=")
        assert len(full) > MAX_QUERY_CHARS
        # the short link stands for the whole view: the controls, the figures, the links
        loaded = _controls(app_settings, short)
        assert loaded["message"] == ""
        assert len(loaded["controls"][Ids.TIME].split(";")) == 480
        figure, caption, download, events, _ = explore.et_outputs(app_settings, short)
        assert "480 ranges" in caption
        assert download.startswith("download/et.csv?v=")
        assert caption == explore.et_outputs(app_settings, full)[1]
    client = app.server.test_client()
    r = client.get("/" + download)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "X-AWA-Ignored-Parameters" not in r.headers
    assert body == client.get("/download/et.csv" + full).get_data(as_text=True)
    # a restarted app (a new process) reads the view from the cache folder
    again = create_app(replace(app_settings)).server.test_client()
    assert again.get("/" + download).get_data(as_text=True) == body


def test_a_bad_or_unknown_view_id_gets_a_clear_message(app_settings: Settings) -> None:
    app = create_app(app_settings)
    with app.server.test_request_context():
        out = _controls(app_settings, "?v=0123456789abcdef")
        assert out["message"].startswith("URL: v: no view is stored under 0123456789abcdef on "
                                         "this server")  # fmt: skip
        out = _controls(app_settings, "?v=../../etc")
        assert out["message"] == ("URL: v: '../../etc' is not a view id (16 hex digits, as the "
                                  "app writes them)")  # fmt: skip
        assert out["controls"][Ids.TIME] not in (dash.no_update, "")  # the default day
    client = app.server.test_client()
    r = client.get("/download/et.csv?v=0123456789abcdef")
    assert r.status_code == 404
    assert "no view is stored under 0123456789abcdef" in r.get_data(as_text=True)
    r = client.get("/download/me.csv?v=xyz")
    assert r.status_code == 400
    assert "'xyz' is not a view id" in r.get_data(as_text=True)
