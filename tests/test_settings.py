"""Settings of the cache and of the background callbacks (AWA_* variables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from awa.cache import cache_config
from awa.settings import Settings, SettingsError


def test_background_settings_from_environment() -> None:
    s = Settings.from_env({})
    assert s.background_dir is None
    assert (s.background_events, s.background_ranges, s.max_ranges) == (2_000_000, 20, 2000)
    assert (s.request_seconds, s.job_grace, s.events_csv_max_rows) == (30.0, 30.0, 20_000_000)
    s = Settings.from_env({"AWA_CACHE_DIR": "/c", "AWA_BACKGROUND_EVENTS": "1e5",
                           "AWA_BACKGROUND_RANGES": "5", "AWA_MAX_RANGES": "100",
                           "AWA_REQUEST_SECONDS": "2.5", "AWA_JOB_GRACE": "4",
                           "AWA_EVENTS_CSV_MAX_ROWS": "1000"})  # fmt: skip
    assert s.background_dir == Path("/c/background")
    assert (s.background_events, s.background_ranges, s.max_ranges) == (100_000, 5, 100)
    assert (s.request_seconds, s.job_grace, s.events_csv_max_rows) == (2.5, 4.0, 1000)
    s = Settings.from_env({"AWA_CACHE_DIR": "/c", "AWA_BACKGROUND_DIR": "/jobs"})
    assert s.background_dir == Path("/jobs")
    assert "background_events = 2000000" in s.describe()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AWA_JOB_GRACE": "soon"}, "AWA_JOB_GRACE must be a number"),
        ({"AWA_JOB_GRACE": "0"}, "job_grace must be positive"),
        ({"AWA_REQUEST_SECONDS": "nan"}, "request_seconds must be positive"),
        ({"AWA_MAX_RANGES": "0"}, "max_ranges must be positive"),
        ({"AWA_CHUNK_ROWS": "inf"}, "AWA_CHUNK_ROWS must be a finite number"),
        ({"AWA_CACHE_TIMEOUT": "-5"}, "cache_timeout must be positive"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_redis_url_selects_the_shared_cache_and_stays_secret() -> None:
    s = Settings.from_env({"AWA_REDIS_URL": "redis://:pw@cache:6379/0", "AWA_CACHE_DIR": "/c"})
    assert s.cache_type == "redis"
    config = cache_config(s)
    assert config["CACHE_TYPE"] == "RedisCache"
    assert config["CACHE_REDIS_URL"] == "redis://:pw@cache:6379/0"
    assert config["CACHE_KEY_PREFIX"] == "awa:"
    assert "pw" not in s.describe()
    # an explicit type wins over the URL
    assert Settings.from_env(
        {"AWA_REDIS_URL": "redis://h", "AWA_CACHE_TYPE": "simple"}
    ).cache_type == ("simple")


def test_toml_file_sits_between_the_variables_and_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "awa.toml"
    config.write_text('data_dir = "/from-file"\nmax_rows = 5000\ndebug = true\nscatter_max = 7\n')
    s = Settings.from_env({"AWA_CONFIG": str(config), "AWA_MAX_ROWS": "9000"})
    assert s.data_dir == Path("/from-file")
    assert s.max_rows == 9000  # the variable wins over the file
    assert s.debug is True
    assert s.scatter_max_events == 7
    assert s.chunk_rows == Settings().chunk_rows  # neither: the default
    assert Settings.from_env({}, config=config).max_rows == 5000
    config.write_text("max_rows = 'lots'\n")
    with pytest.raises(SettingsError, match="AWA_MAX_ROWS must be a number"):
        Settings.from_env({}, config=config)
    with pytest.raises(SettingsError, match="does not exist"):
        Settings.from_env({"AWA_CONFIG": str(tmp_path / "absent.toml")})


def test_awa_config_prints_the_effective_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from awa.cli import main

    config = tmp_path / "awa.toml"
    config.write_text('cache_timeout = 60\nredis_url = "redis://:secret@h:6379/0"\n')
    monkeypatch.setenv("AWA_SCATTER_MAX", "1234")
    monkeypatch.delenv("AWA_CACHE_TYPE", raising=False)
    assert main(["config", "--config", str(config), "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"data_dir = {tmp_path}" in out
    assert "cache_timeout = 60" in out
    assert "scatter_max_events = 1234" in out
    assert "cache_type = redis" in out
    assert "secret" not in out
    monkeypatch.setenv("AWA_TIMELINE_POINTS", "3")
    assert main(["config"]) == 2
    assert "timeline_points must be >= 10" in capsys.readouterr().err
