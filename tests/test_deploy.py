"""Deployment files checked statically, and the image's gunicorn command run for real.

There is no Docker engine here: the Dockerfile and compose file are parsed and checked
against the project tree, and the exact command of the Dockerfile's CMD is started on
127.0.0.1 against a small store built by the real pipeline.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from awa.chem import schema
from data_build import stores
from tests import fitsfactory as ff

ROOT = Path(__file__).resolve().parents[1]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _cmd() -> list[str]:
    cmds = [args for word, args in _dockerfile() if word == "CMD"]
    assert len(cmds) == 1
    cmd = json.loads(cmds[0])
    assert isinstance(cmd, list)
    return [str(c) for c in cmd]


def test_dockerfile_copies_what_the_app_needs() -> None:
    copied = " ".join(args for word, args in _dockerfile() if word == "COPY")
    for needed in ("pyproject.toml", "awa", "data_build", "app.py", "gunicorn.conf.py", "assets"):
        assert needed in copied.split(), needed
        assert (ROOT / needed).exists(), needed
    froms = [args for word, args in _dockerfile() if word == "FROM"]
    assert froms[0].startswith("python:3.11")
    exposed = [args for word, args in _dockerfile() if word == "EXPOSE"]
    assert exposed == ["8050"]


def test_dockerfile_cmd_is_the_gunicorn_command() -> None:
    cmd = _cmd()
    assert cmd[0] == "gunicorn"
    assert cmd[-1] == "app:server"
    assert "--config" in cmd
    assert (ROOT / cmd[cmd.index("--config") + 1]).exists()


def test_compose_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    web = services["web"]
    assert web.get("command", _cmd()) == _cmd()
    assert "8050:8050" in web["ports"]
    env = web["environment"]
    assert env["AWA_DATA_DIR"] == "/data"
    redis_url = env.get("AWA_REDIS_URL")
    if redis_url:
        host = redis_url.split("//", 1)[1].split(":", 1)[0]
        assert host in services, f"AWA_REDIS_URL names service {host!r}, which compose lacks"
    build = services["build"]
    assert build["command"][:2] == ["awa-build", "demo"]
    # the build writes where the app reads
    assert any(v.split(":")[1] == "/data" for v in build["volumes"])
    assert any(v.split(":")[1] == "/data" for v in web["volumes"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("deploy")
    cols = ff.default_columns(6, start=ff.seconds("1986-02-09T00:00:30"))
    path = ff.write_fits(ff.build_hdul(cols), tmp / "1986_040.fits.gz")
    out = tmp / "stores"
    stores.build_stores([path], out, progress=None)
    return out


def test_image_command_serves_the_app(small_store: Path, tmp_path: Path) -> None:
    port = _free_port()
    cmd = _cmd()
    exe = Path(sys.executable).with_name(cmd[0])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWA_")},
        "AWA_DATA_DIR": str(small_store),
        "AWA_CACHE_DIR": str(tmp_path / "cache"),
        # the only change to the image's command: where to listen, and two workers
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 2",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(exe), *cmd[1:]], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        log.flush()
        assert status == 200, (tmp_path / "gunicorn.log").read_text()[-3000:]
        health = json.loads(body)
        assert health["status"] == "ok"
        assert health["rows"][schema.RATES_STORE.filename] == 6 * 32
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert b"_dash-config" in page
        status, _ = _get(f"http://127.0.0.1:{port}/_dash-layout")
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    assert proc.returncode == 0, shlex.join(cmd)
