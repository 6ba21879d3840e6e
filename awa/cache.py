"""The process-safe result cache of the AWA app.

``cache`` is created here unbound and bound to the Flask server in ``create_app`` (simple
in-process, filesystem, or Redis when ``AWA_REDIS_URL`` is set).  Query functions wrapped
with :func:`cached` are memoized on their typed, hashable arguments while a Flask app with
the cache is active, and run uncached elsewhere (notebooks, tests, the CLI).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context
from flask_caching import Cache

from awa.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

cache = Cache()


def cache_config(settings: Settings) -> dict[str, Any]:
    """Flask-Caching configuration for ``settings``."""
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": settings.cache_timeout}
    if settings.cache_type == "redis":
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=settings.redis_url)
    elif settings.cache_type == "filesystem":
        config.update(
            CACHE_TYPE="FileSystemCache",
            CACHE_DIR=str(settings.cache_dir),
            CACHE_THRESHOLD=2000,
        )
    elif settings.cache_type == "null":
        config.update(CACHE_TYPE="NullCache")
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=500)
    return config


def init_cache(server: Flask, settings: Settings) -> None:
    """Bind ``cache`` to ``server`` with the configuration of ``settings``."""
    with warnings.catch_warnings():
        # NullCache is chosen deliberately (AWA_CACHE_TYPE=null); its warning says so.
        warnings.filterwarnings("ignore", message="Flask-Caching: CACHE_TYPE is set to Null")
        cache.init_app(server, config=cache_config(settings))


def _active() -> bool:
    if not has_app_context():
        return False
    return cache in current_app.extensions.get("cache", {})


def cached(fn: F) -> F:
    """Memoize ``fn`` in ``cache`` when a Flask app with the cache is active."""
    memo = cache.memoize()(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _active():
            return memo(*args, **kwargs)
        return fn(*args, **kwargs)

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return cast(F, wrapper)
