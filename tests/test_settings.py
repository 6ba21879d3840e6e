"""Settings of the cache and of the background callbacks (AWA_* variables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from awa.cache import cache_config
from awa.settings import Settings, SettingsError


def test_background_settings_from_environment() -> None:
    s = Settings.from_env({})
    assert s.background_dir is None
    assert s.background_days == 3.0
    s = Settings.from_env({"AWA_CACHE_DIR": "/c", "AWA_BACKGROUND_DAYS": "1.5"})
    assert s.background_dir == Path("/c/background")
    assert s.background_days == 1.5
    s = Settings.from_env({"AWA_CACHE_DIR": "/c", "AWA_BACKGROUND_DIR": "/jobs"})
    assert s.background_dir == Path("/jobs")
    assert "background_days = 3.0" in s.describe()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AWA_BACKGROUND_DAYS": "soon"}, "AWA_BACKGROUND_DAYS must be a number"),
        ({"AWA_BACKGROUND_DAYS": "0"}, "background_days must be positive"),
        ({"AWA_BACKGROUND_DAYS": "nan"}, "background_days must be positive"),
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
