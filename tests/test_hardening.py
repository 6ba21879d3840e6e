"""The lab-server hardening of issue 13: body limits, headers, private folders, health,
version, request logs and the CSV formula guard (Flask test client; no server)."""

from __future__ import annotations

import json
import logging
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from awa import create_app, security
from awa.pages.cards import UPLOAD_MAX_BYTES
from awa.settings import Settings
from tests.builtstore import SimulatedStores

T = "t=1986-039-0300:0400"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


# ---------------------------------------------------------------------------------------
# Body limits
# ---------------------------------------------------------------------------------------


def test_large_callback_body_is_refused_with_a_message(client: Any) -> None:
    limit = security.callback_body_limit(UPLOAD_MAX_BYTES)
    body = b'{"output": "upload-graph.figure", "inputs": [{"value": "' + b"A" * limit + b'"}]}'
    r = client.post(
        "/_dash-update-component", data=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    text = r.get_data(as_text=True)
    assert "Request too large" in text
    assert f"{UPLOAD_MAX_BYTES / 1e6:.1f} MB" in text
    assert "Traceback" not in text


def test_other_routes_have_the_small_limit(store_settings: Settings) -> None:
    settings = Settings(**{**store_settings.__dict__, "max_body_bytes": 1000})
    client = create_app(settings).server.test_client()
    r = client.post("/download/et.csv?" + T, data=b"x" * 1001)
    assert r.status_code == 413
    assert "accepts 1 kB at most" in r.get_data(as_text=True)
    # the callback route keeps the upload limit: a 2 kB callback is served
    r = client.post(
        "/_dash-update-component",
        data=json.dumps({"output": "x.y", "pad": "p" * 2000}),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code != 413


def test_limit_covers_the_largest_upload_as_base64() -> None:
    limit = security.callback_body_limit(UPLOAD_MAX_BYTES)
    assert limit >= UPLOAD_MAX_BYTES * 4 / 3 + 100_000
    assert limit < UPLOAD_MAX_BYTES * 4 / 3 + 2_000_000


# ---------------------------------------------------------------------------------------
# Headers, debug
# ---------------------------------------------------------------------------------------


def test_security_headers_on_pages_and_routes(client: Any) -> None:
    for url in ("/", "/health", f"/download/et.csv?{T}", "/_dash-layout", "/no-such-page"):
        r = client.get(url)
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-eval'" not in csp
        script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src
        assert "'sha256-" in script_src  # Dash's inline renderer start is allowed by hash


def test_no_debug_mode(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    config = json.loads(page.split('id="_dash-config" type="application/json">')[1].split("<")[0])
    assert config["ui"] is False
    assert config["props_check"] is False
    assert "hot_reload" not in config
    assert client.application.debug is False


# ---------------------------------------------------------------------------------------
# Private folders and the signing secret
# ---------------------------------------------------------------------------------------


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_job_folder_and_secret_are_private(store_settings: Settings, tmp_path: Path) -> None:
    jobs = tmp_path / "shared-tmp" / "jobs"
    jobs.parent.mkdir()
    jobs.mkdir(mode=0o777)
    jobs.chmod(0o777)  # as a world-readable default umask left it
    cache = tmp_path / "cache"
    settings = Settings(
        data_dir=store_settings.data_dir,
        cache_type="filesystem",
        cache_dir=cache,
        background_dir=jobs,
    )
    app = create_app(settings)
    assert _mode(jobs) == 0o700
    assert _mode(cache) == 0o700
    secret = jobs / "secret_key"
    assert _mode(secret) == 0o600
    assert app.server.secret_key == secret.read_text().strip()
    assert len(app.server.secret_key) == 64
    # a second worker reads the same secret
    assert create_app(settings).server.secret_key == app.server.secret_key


def test_secret_from_settings_is_not_written(store_settings: Settings, tmp_path: Path) -> None:
    settings = Settings(**{**store_settings.__dict__, "signing_key": "s3cret"})
    assert create_app(settings).server.secret_key == "s3cret"
    assert "s3cret" not in settings.describe()


# ---------------------------------------------------------------------------------------
# /healthz and /version
# ---------------------------------------------------------------------------------------


def _copy_store(sim_store: SimulatedStores, tmp_path: Path) -> Path:
    folder = tmp_path / "stores"
    shutil.copytree(sim_store.folder, folder)
    return folder


def test_healthz_follows_a_store_removed_truncated_and_restored(
    sim_store: SimulatedStores, tmp_path: Path
) -> None:
    from awa.chem import schema

    folder = _copy_store(sim_store, tmp_path)
    settings = Settings(data_dir=folder, cache_type="null", background_dir=tmp_path / "jobs")
    client = create_app(settings).server.test_client()
    r = client.get("/healthz")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "ok"
    assert set(body["stores"]) == {s.filename for s in schema.STORES}
    assert body["version"]["stores_built"]
    assert body["queue"] == {"type": "local", "state": "ok"}

    pha = folder / schema.PHA_STORE.filename
    saved = pha.read_bytes()
    pha.unlink()
    r = client.get("/healthz")
    assert r.status_code == 503
    assert "missing" in r.get_json()["stores"][schema.PHA_STORE.filename]
    page = client.get(f"/download/et.csv?{T}")
    assert page.status_code == 503
    assert "Traceback" not in page.get_data(as_text=True)

    pha.write_bytes(saved[: len(saved) // 3])  # truncated
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "failing"
    assert client.get(f"/download/et.csv?{T}").status_code == 503

    pha.write_bytes(saved)  # restored: no restart needed
    r = client.get("/healthz")
    assert r.status_code == 200, r.get_json()
    assert client.get(f"/download/et.csv?{T}").status_code == 200


def test_healthz_reports_an_unreachable_redis_as_degraded(
    store_settings: Settings, tmp_path: Path
) -> None:
    from awa import health
    from tests.redisserver import free_port

    settings = Settings(
        data_dir=store_settings.data_dir,
        cache_type="redis",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    )
    code, body = health.check(settings, None)
    assert code == 200
    assert body["status"] == "degraded"
    assert body["cache"]["state"].startswith("unreachable")
    assert body["queue"]["type"] == "celery"
    assert body["queue"]["state"].startswith("unreachable")


def test_version_route(store_settings: Settings) -> None:
    settings = Settings(**{**store_settings.__dict__, "build_version": "abc123"})
    body = create_app(settings).server.test_client().get("/version").get_json()
    assert body["image"] == "abc123"
    assert body["awa"] == "0.1.0"
    assert body["stores_built"]
    assert Settings.from_env({"AWA_BUILD_VERSION": " v7 "}).build_version == "v7"


# ---------------------------------------------------------------------------------------
# Request log
# ---------------------------------------------------------------------------------------


def test_one_log_line_per_request(client: Any) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("awa.request")
    logger.addHandler(handler)
    try:
        with client.get(f"/download/events.csv?{T}") as r:
            assert r.status_code == 200
            rows = len(r.get_data(as_text=True).splitlines())
        with client.get("/healthz") as r:
            assert r.status_code == 200
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(rec.getMessage()) for rec in records]
    assert [x["path"] for x in lines] == ["/download/events.csv", "/healthz"]
    events = lines[0]
    assert events["status"] == 200
    assert events["view"] == "download/events"
    assert events["ms"] >= 0
    assert events["events_scanned"] > 0
    assert events["events_scanned"] >= rows - 30  # the header lines aside, each row scanned
    assert lines[1]["events_scanned"] == 0
    assert lines[1]["view"] == "awa_health.healthz"


def test_dash_signing_secret_is_not_left_in_the_job_cache(
    store_settings: Settings, tmp_path: Path
) -> None:
    import diskcache
    from dash.background_callback.managers import BaseBackgroundCallbackManager

    app = create_app(store_settings)
    assert app.server.test_client().get("/").status_code == 200  # signs the page's end id
    assert store_settings.background_dir is not None
    with diskcache.Cache(str(store_settings.background_dir)) as jobs:
        assert jobs.get(BaseBackgroundCallbackManager.SIGNING_SECRET_KEY) is None
    # the handles are signed with the private secret instead
    assert app._get_signing_secret() == app.server.secret_key.encode()
