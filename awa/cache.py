"""The process-safe result cache of the AWA app.

``cache`` is created here unbound and bound to the Flask server in ``create_app`` (simple
in-process, filesystem, or Redis when ``AWA_REDIS_URL`` is set, so that several processes
and hosts share results).  Query functions wrapped with :func:`cached` are memoized while a
Flask app with the cache is active, and run uncached elsewhere (notebooks, tests, the CLI).

The memoization key is built from the *typed* arguments (:func:`canonical`): the frozen
filter dataclasses of :mod:`awa.model`, numbers, tuples, datetimes, never raw user text.
Two inputs that parse to the same filter therefore share one cache entry, whatever their
spelling, and no key depends on how a function was called (positional or keyword, default
values spelt out or not, ``2`` or ``2.0``).

A ``progress`` argument (a callback of the background callbacks) says how a result is
computed, never what it is: it is left out of keys, and a call that passes one runs without
the cache (the function then memoizes its parts itself, e.g. one histogram per day).

Nothing here holds per-request state in module globals: ``cache`` is the late-bound
extension object (its storage lives in the backend).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import logging
import warnings
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context
from flask_caching import Cache

from awa.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

#: Bumped when the layout of cached results changes, so a shared Redis cache filled by an
#: older release is not read back.
CACHE_VERSION = "1"

log = logging.getLogger(__name__)

cache = Cache()

#: Keyword arguments that steer how a result is computed, not what it is: not in keys,
#: and a call passing one (not None) runs uncached.
UNKEYED = ("progress",)


def cache_config(settings: Settings) -> dict[str, Any]:
    """Flask-Caching configuration for ``settings``."""
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": settings.cache_timeout}
    if settings.cache_type == "redis":
        config.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=settings.redis_url,
            CACHE_KEY_PREFIX="awa:",
        )
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


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------


class UncacheableArgumentError(TypeError):
    """A memoized function received an argument that has no canonical typed form."""


def canonical(value: Any) -> Any:
    """A canonical, ``repr``-stable form of a typed argument (the memoization key material).

    Equal typed values map to equal forms: dataclasses become their class name and fields,
    whole numbers and floats of the same value coincide (``2 == 2.0``), datetimes become
    ISO text, enums their class and value.  Booleans stay distinct from numbers.

    Raises
    ------
    UncacheableArgumentError
        For values with no typed form (e.g. arrays or arbitrary objects), which would make
        keys that depend on object identity.
    """
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, enum.Enum):
        return ("enum", type(value).__qualname__, canonical(value.value))
    if isinstance(value, int | float):
        return ("num", repr(float(value)))
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        return canonical(value.item())  # NumPy scalar
    if isinstance(value, datetime | date | time):
        return (type(value).__name__, value.isoformat())
    if isinstance(value, timedelta):
        return ("timedelta", repr(value.total_seconds()))
    if isinstance(value, PurePath):
        return ("path", str(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return (
            f"{cls.__module__}.{cls.__qualname__}",
            tuple((f.name, canonical(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, tuple | list):
        return ("seq", tuple(canonical(v) for v in value))
    if isinstance(value, frozenset | set):
        return ("set", tuple(sorted((canonical(v) for v in value), key=repr)))
    if isinstance(value, Mapping):
        items = ((canonical(k), canonical(v)) for k, v in value.items())
        return ("map", tuple(sorted(items, key=repr)))
    raise UncacheableArgumentError(
        f"cannot memoize on a {type(value).__name__}; pass typed values (dataclasses, "
        f"numbers, tuples, datetimes)"
    )


def memo_key(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The cache key of the call ``fn(*args, **kwargs)``.

    Arguments are bound to ``fn``'s signature with defaults applied, so positional and
    keyword spellings of one call share a key.  The key names the function and hashes the
    :func:`canonical` form of every argument (SHA-256) except those in :data:`UNKEYED`.
    """
    target = inspect.unwrap(fn)
    bound = inspect.signature(target).bind(*args, **kwargs)
    bound.apply_defaults()
    material = repr(
        tuple((name, canonical(v)) for name, v in bound.arguments.items() if name not in UNKEYED)
    )
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return f"v{CACHE_VERSION}:{target.__module__}.{target.__qualname__}:{digest}"


# ---------------------------------------------------------------------------------------
# Memoization
# ---------------------------------------------------------------------------------------


def _lookup(key: str) -> tuple[Any] | None:
    try:
        hit = cache.get(key)
    except Exception as exc:  # a cache outage costs speed, never the answer
        log.warning("result cache unavailable (%s); computing without it", exc)
        return None
    return hit if isinstance(hit, tuple) and len(hit) == 1 else None


def _store(key: str, value: Any) -> None:
    try:
        cache.set(key, (value,))
    except Exception as exc:
        log.warning("result cache unavailable (%s); result not stored", exc)


def cached(fn: F) -> F:
    """Memoize ``fn`` in ``cache`` (key: :func:`memo_key`) when a Flask app is active.

    Outside an app context ``fn`` runs directly, and so does a call passing a keyword
    argument of :data:`UNKEYED` (e.g. ``progress``).  ``fn.uncached`` is the original
    function and ``fn.key(*args, **kwargs)`` the key of a call.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        steered = any(kwargs.get(name) is not None for name in UNKEYED)
        if steered or not _active():
            return fn(*args, **kwargs)
        key = memo_key(fn, *args, **kwargs)
        hit = _lookup(key)
        if hit is not None:
            return hit[0]
        value = fn(*args, **kwargs)
        _store(key, value)
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    wrapper.key = functools.partial(memo_key, fn)  # type: ignore[attr-defined]
    return cast(F, wrapper)

