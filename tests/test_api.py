"""Flask routes: /health, streamed CSV downloads, and histogram CSVs read back / uploaded."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import create_app, export, query, views
from awa.model import Selection, parse_time_ranges
from awa.query import scan
from awa.settings import Settings
from tests.builtstore import SimulatedStores

SEARCH = "?t=1986-039-0200:0800&etbin=32"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def test_health_reports_the_stores(
    client: Any, empty_settings: Settings, sim_store: SimulatedStores
) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["missing"] == []
    first = sim_store.pha["SpinStartTime"].iloc[0]
    assert body["spans"]["AMPTE_CHEM_nocal_pha.h5"][0] == first.isoformat()
    missing = create_app(empty_settings).server.test_client().get("/health")
    assert missing.status_code == 503
    assert "AMPTE_CHEM_rates_dst.h5" in missing.get_json()["missing"]


def test_et_csv_has_headers_and_the_grid(client: Any, sim_store: SimulatedStores) -> None:
    response = client.get("/download/et.csv" + SEARCH)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    lines = text.splitlines()
    # the science team's layout: filters, title, a third '#' line, then the grid
    assert lines[0].startswith("# Filters: L 2-10")
    assert lines[1].startswith("# PLOTTITLE: E-T")
    assert lines[2].startswith("# AWA: kind=et")
    assert lines[3].startswith(",0,32,64,")
    back = export.parse_histogram_csv(text)
    hist = query.et_histogram(
        query.store_key(sim_store.folder), Selection(times=parse_time_ranges("1986-039-0200:0800")),
        32,
    )  # fmt: skip
    np.testing.assert_array_equal(back.counts, hist.counts)
    np.testing.assert_array_equal(back.x_edges, hist.x_edges)
    assert back.counts.shape == (32, 32)


def test_mmq_csv_round_trips(client: Any) -> None:
    text = client.get("/download/mmq.csv?t=1986-039-0200:0800&norm=1").get_data(as_text=True)
    back = export.parse_histogram_csv(text)
    assert back.kind == "mmq"
    assert "weighted" in back.title
    assert back.counts.sum() > 0
    assert np.allclose(np.diff(np.log10(back.x_edges)), 0.02)


def test_events_csv_lists_the_selected_events(client: Any, sim_store: SimulatedStores) -> None:
    response = client.get("/download/events.csv?t=1986-039-0300:0400&rnbrn=1")
    assert response.is_streamed
    frame = pd.read_csv(io.StringIO(response.get_data(as_text=True)), comment="#")
    sel = Selection(times=parse_time_ranges("1986-039-0300:0400"), rn_le_brn=True)
    n = sum(len(ev["TOF"]) for ev in query.iter_events(sim_store.folder, sel))
    assert len(frame) == n > 0
    assert list(frame.columns) == list(export.EVENT_COLUMNS)
    np.testing.assert_allclose(frame["T_ns"], frame["TOF_ch"] * 320 / 1023, atol=1e-3)
    assert frame["Kp"].notna().all()
    assert frame["time_utc"].str.startswith("1986-02-08T03").all()


def test_timeline_csv(client: Any, sim_store: SimulatedStores) -> None:
    text = client.get("/download/timeline.csv?t=1986-039-0100:0110").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(text), comment="#")
    rates = sim_store.rates.set_index("SpinStartTime").loc["1986-02-08 01:00":"1986-02-08 01:09:59"]
    np.testing.assert_array_equal(frame["DCR"], rates["DCR"])
    assert list(frame.columns[:3]) == ["time_utc", "FSR", "DCR"]


def test_bad_requests_say_what_is_wrong(client: Any, empty_settings: Settings) -> None:
    r = client.get("/download/et.csv?L=oops")
    assert r.status_code == 400
    assert "L:" in r.get_data(as_text=True)
    r = client.get("/download/nothing.csv")
    assert r.status_code == 404
    r = create_app(empty_settings).server.test_client().get("/download/et.csv?t=1986-040")
    assert r.status_code == 503
    assert "is missing" in r.get_data(as_text=True)
    big = Settings(data_dir=client.application.config["AWA_SETTINGS"].data_dir,
                   cache_type="null", max_rows=10)  # fmt: skip
    r = create_app(big).server.test_client().get("/download/timeline.csv?t=1986-039")
    assert r.status_code == 413
    # an event download over the limit is refused before any byte is streamed
    r = create_app(big).server.test_client().get("/download/events.csv?t=1986-039")
    assert r.status_code == 413
    assert "choose a shorter time range" in r.get_data(as_text=True)


def _upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def test_uploaded_histograms_are_summed(client: Any) -> None:
    a = client.get("/download/et.csv?t=1986-039-0200:0400&etbin=32").get_data(as_text=True)
    b = client.get("/download/et.csv?t=1986-039-0400:0800&etbin=32").get_data(as_text=True)
    whole = client.get("/download/et.csv?t=1986-039-0200:0800&etbin=32").get_data(as_text=True)
    view = views.upload_view([_upload(a), _upload(b)], ["a.csv", "b.csv"])
    total = export.parse_histogram_csv(whole).counts.sum()
    assert f"{int(total):,} counts" in view.caption
    assert view.figure.data[0].type == "heatmap"
    mismatch = client.get("/download/et.csv?t=1986-039-0200:0400&etbin=16").get_data(as_text=True)
    bad = views.upload_view([_upload(a), _upload(mismatch)], ["a.csv", "c.csv"])
    assert "different bins" in bad.caption
    junk = views.upload_view([_upload("hello,world\n1,2\n")], ["junk.csv"])
    assert "junk.csv" in junk.caption
    assert "PLOTTITLE" in junk.caption


def test_parse_histogram_csv_checks_the_grid() -> None:
    text = (
        "# PLOTTITLE: t\n# Filters: none\n# XEDGES: 0,1,2\n# YEDGES: 0,1\n"
        "y_low\\x_low,0,1\n0,5,6,7\n"
    )
    with pytest.raises(export.CsvFormatError, match="does not match"):
        export.parse_histogram_csv(text)


def test_query_results_are_memoized_inside_the_app(
    fallback_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from awa import query as q

    app = create_app(replace(fallback_settings, cache_type="simple"))
    calls = []
    real = q.iter_events

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "iter_events", counting)
    key = q.store_key(fallback_settings.data_dir)
    sel = Selection(times=parse_time_ranges("1986-039-0200:0300"))
    with app.server.app_context():
        first = q.et_histogram(key, sel, 16)
        second = q.et_histogram(key, sel, 16)
        q.et_histogram(key, Selection(times=sel.times, triples_only=False), 16)
    assert len(calls) == 2  # the repeat came from the cache, the new filter did not
    np.testing.assert_array_equal(first.counts, second.counts)
    q.et_histogram(key, sel, 16)  # outside the app: computed directly
    assert len(calls) == 3


def test_settings_from_environment() -> None:
    import tempfile
    from pathlib import Path

    from awa.settings import Settings, SettingsError

    s = Settings.from_env({"AWA_DATA_DIR": "/data", "AWA_REDIS_URL": "redis://h:6379/0"})
    assert s.data_dir == Path("/data")
    assert s.cache_type == "redis"
    assert "redis_url = <set>" in s.describe()
    s = Settings.from_env({"AWA_CACHE_DIR": "/c", "AWA_SCATTER_MAX": "5000"})
    assert s.cache_type == "filesystem"
    assert s.scatter_max_events == 5000
    s = Settings.from_env({"AWA_CACHE_TYPE": "filesystem"}, overrides={"data_dir": Path("/d")})
    # the cache never goes inside the (possibly read-only) store folder
    assert s.cache_dir is not None
    assert Path("/d") not in s.cache_dir.parents
    assert s.cache_dir.parent == Path(tempfile.gettempdir())
    assert Settings.from_env({}) == Settings()
    with pytest.raises(SettingsError, match="AWA_MAX_ROWS must be a number"):
        Settings.from_env({"AWA_MAX_ROWS": "lots"})
    with pytest.raises(SettingsError, match="not one of"):
        Settings.from_env({"AWA_CACHE_TYPE": "memcached"})
    with pytest.raises(SettingsError, match="needs AWA_REDIS_URL"):
        Settings(cache_type="redis")


def test_cache_config_per_type(tmp_path: Any) -> None:
    from awa.cache import cache_config

    assert cache_config(Settings())["CACHE_TYPE"] == "SimpleCache"
    redis = cache_config(Settings(cache_type="redis", redis_url="redis://127.0.0.1:6379/0"))
    assert redis["CACHE_TYPE"] == "RedisCache"
    assert redis["CACHE_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    fs = cache_config(Settings(cache_type="filesystem", cache_dir=tmp_path))
    assert fs["CACHE_TYPE"] == "FileSystemCache"
    assert fs["CACHE_DIR"] == str(tmp_path)


def test_cli_and_wsgi_entry_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sim_store: SimulatedStores
) -> None:
    import importlib
    import sys

    from awa import cli

    assert cli.main(["settings", "--data", str(sim_store.folder)]) == 0
    assert f"data_dir = {sim_store.folder}" in capsys.readouterr().out
    assert cli.main(["serve", "--port", "0"]) == 2
    assert "port 0" in capsys.readouterr().err
    monkeypatch.setenv("AWA_DATA_DIR", str(sim_store.folder))
    monkeypatch.setenv("AWA_CACHE_TYPE", "simple")
    sys.modules.pop("app", None)
    wsgi = importlib.import_module("app")
    assert wsgi.server.test_client().get("/health").status_code == 200
    sys.modules.pop("app", None)


def test_importing_awa_does_not_import_dash() -> None:
    import subprocess
    import sys

    code = "import awa, awa.chem.physics, awa.chem.schema, sys; print('dash' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_uploaded_grid_too_fine_to_draw_is_a_message() -> None:
    from awa.model import AppState

    edges = np.arange(0.0, 1101.0)  # 1100 x 1100 bins: more than the 1024 x 1024 drawn
    hist = query.Hist2D(np.ones((1100, 1100)), edges, edges, 1100 * 1100, 1100 * 1100)
    text = export.histogram_csv(hist, "et", "fine", AppState())
    view = views.upload_view([_upload(text)], ["fine.csv"])
    assert "too many to draw" in view.caption
