"""The one settings object of the AWA app.

Values come from ``AWA_*`` environment variables, then an optional TOML file, then
defaults.  The file is named by ``AWA_CONFIG`` (or ``awa --config FILE``); its keys are the
variable names without ``AWA_``, in lower case (``data_dir = "/data"``, ``max_rows = 1e8``).
The layers are read by ``pydantic-settings``; this module is the only place in the app
that reads the environment, and ``awa.create_app(settings)`` receives the resulting frozen
:class:`Settings`.  ``awa config`` prints the settings in force.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CACHE_TYPES = ("simple", "filesystem", "redis", "null")


def _uid() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else "user"


class SettingsError(ValueError):
    """An ``AWA_*`` variable holds a value that cannot be used."""


class _Layers(BaseSettings):
    """The raw values of the ``AWA_*`` variables and of the TOML file (checked later)."""

    model_config = SettingsConfigDict(env_prefix="AWA_", extra="ignore")

    data_dir: Any = None
    cache_type: Any = None
    cache_dir: Any = None
    redis_url: Any = None
    cache_timeout: Any = None
    scatter_max: Any = None
    max_rows: Any = None
    chunk_rows: Any = None
    timeline_points: Any = None
    debug: Any = None
    background_dir: Any = None
    background_events: Any = None
    background_ranges: Any = None
    max_ranges: Any = None
    request_seconds: Any = None
    job_grace: Any = None
    events_csv_max_rows: Any = None
    scan_threads: Any = None
    max_body_bytes: Any = None
    workers: Any = None
    threads: Any = None
    signing_key: Any = None
    build_version: Any = None
    hapi_max_mb: Any = None


class _MappingEnv(EnvSettingsSource):
    """The environment source reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._env.items()}


def _read_layers(env: Mapping[str, str] | None, config: Path | None) -> dict[str, str]:
    """``{AWA_NAME: text}`` from the environment (``env`` or ``os.environ``), then ``config``."""
    if config is not None and not Path(config).is_file():
        raise SettingsError(f"config file {config} does not exist")

    class Layers(_Layers):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            first = env_settings if env is None else _MappingEnv(settings_cls, env)
            if config is None:
                return (first,)
            return (first, TomlConfigSettingsSource(settings_cls, toml_file=config))

    try:
        raw = Layers().model_dump(exclude_none=True)
    except ValueError as exc:  # a TOML file that does not parse
        raise SettingsError(f"config file {config}: {exc}") from None
    return {f"AWA_{k.upper()}": v if isinstance(v, str) else _toml_text(v) for k, v in raw.items()}


def _toml_text(value: object) -> str:
    """A TOML value as the text an ``AWA_*`` variable would hold."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@dataclass(frozen=True)
class Settings:
    """Configuration of one AWA app process.

    Attributes
    ----------
    data_dir : Path
        Folder holding the HDF5 stores (``AWA_DATA_DIR``, default ``./awa_data``).
    cache_type : str
        ``simple`` (in-process), ``filesystem``, ``redis`` or ``null`` (``AWA_CACHE_TYPE``).
        Default: ``redis`` when ``AWA_REDIS_URL`` is set, ``filesystem`` when
        ``AWA_CACHE_DIR`` is set, else ``simple``.
    cache_dir : Path or None
        Folder of the filesystem cache (``AWA_CACHE_DIR``).
    redis_url : str or None
        Redis URL of the shared cache (``AWA_REDIS_URL``).
    cache_timeout : int
        Lifetime of cached query results, s (``AWA_CACHE_TIMEOUT``, default 3600).
    scatter_max_events : int
        Largest selection drawn as individual events (``AWA_SCATTER_MAX``, default 100000).
    max_rows : int
        Largest number of store rows one query may scan (``AWA_MAX_ROWS``, default 2e9: the
        whole mission, about 1e9 PHA events, scans in about 10 s with the column sidecar).
    chunk_rows : int
        Rows read per chunk when streaming (``AWA_CHUNK_ROWS``, default 2e6).
    timeline_points : int
        Points per timeline trace after decimation (``AWA_TIMELINE_POINTS``, default 2000).
    debug : bool
        Dash debug mode (``AWA_DEBUG``, default false).
    background_dir : Path or None
        Folder of the background-callback results when they run in local processes
        (``AWA_BACKGROUND_DIR``; default ``<cache_dir>/background`` when ``AWA_CACHE_DIR``
        is set, else a per-user folder in the system temporary directory).  With
        ``AWA_REDIS_URL`` set, background callbacks run in Celery workers instead.
    background_events : int
        Selections whose time ranges hold more PHA events than this (estimated from the
        hour index) draw their histograms as background callbacks with a progress bar and
        a cancel button (``AWA_BACKGROUND_EVENTS``, default 2e6).
    background_ranges : int
        So do selections of more time ranges than this (``AWA_BACKGROUND_RANGES``,
        default 20), whatever their events.
    max_ranges : int
        Most time ranges of one selection, after adjacent ranges are merged
        (``AWA_MAX_RANGES``, default 2000); more get a message.
    request_seconds : float
        Time budget of a figure drawn in the foreground, s (``AWA_REQUEST_SECONDS``,
        default 30); a figure that exceeds it gets a message instead.
    job_grace : float
        A background job whose page has not polled for this long is cancelled, s
        (``AWA_JOB_GRACE``, default 30).
    events_csv_max_rows : int
        Largest events CSV, in PHA rows of its time ranges (``AWA_EVENTS_CSV_MAX_ROWS``,
        default 2e7); larger ones are refused before streaming.
    scan_threads : int
        Blosc decompression threads of the column scans (``AWA_SCAN_THREADS``, default 1).
        A histogram scan already uses two cores at 1: it reads in one thread while a
        compiled loop counts the previous block in another (:mod:`awa.query.kernels`);
        more Blosc threads gave no gain on the 2-core machine (bench/README.md).
    max_body_bytes : int
        Largest request body, bytes (``AWA_MAX_BODY_BYTES``, default 1 MiB): Flask's
        ``MAX_CONTENT_LENGTH``.  Dash's callback route, which carries uploaded files, has
        the larger limit of :func:`awa.security.callback_body_limit`.
    workers : int
        gunicorn worker processes (``AWA_WORKERS``, default 2).
    threads : int
        Threads per gunicorn worker (``AWA_THREADS``, default 8): a long streamed download
        holds one thread, not a whole worker.
    signing_key : str or None
        Flask's signing secret (``AWA_SIGNING_KEY``); when unset, a random one is kept in a
        file of mode 0600 in the private background folder (:mod:`awa.security`).
    build_version : str
        Version of the deployed image (``AWA_BUILD_VERSION``, set by the Dockerfile's
        ``BUILD_VERSION`` argument; empty outside an image), shown by ``/version``.
    hapi_max_mb : float
        Largest HAPI data response, MB of binary records (``AWA_HAPI_MAX_MB``, default
        2000); a larger request gets HAPI error 1408 naming the limit.
    """

    data_dir: Path = Path("awa_data")
    cache_type: str = "simple"
    cache_dir: Path | None = None
    redis_url: str | None = None
    cache_timeout: int = 3600
    scatter_max_events: int = 100_000
    max_rows: int = 2_000_000_000
    chunk_rows: int = 2_000_000
    timeline_points: int = 2000
    debug: bool = False
    background_dir: Path | None = None
    background_events: int = 2_000_000
    background_ranges: int = 20
    max_ranges: int = 2000
    request_seconds: float = 30.0
    job_grace: float = 30.0
    events_csv_max_rows: int = 20_000_000
    scan_threads: int = 1
    max_body_bytes: int = 1 << 20
    workers: int = 2
    threads: int = 8
    signing_key: str | None = None
    build_version: str = ""
    hapi_max_mb: float = 2000.0

    def __post_init__(self) -> None:
        if self.cache_type not in CACHE_TYPES:
            raise SettingsError(
                f"cache type {self.cache_type!r} is not one of {', '.join(CACHE_TYPES)}"
            )
        if self.cache_type == "redis" and not self.redis_url:
            raise SettingsError("cache type 'redis' needs AWA_REDIS_URL")
        for name in ("cache_timeout", "scatter_max_events", "max_rows", "chunk_rows",
                     "background_events", "background_ranges", "max_ranges",
                     "events_csv_max_rows", "scan_threads", "max_body_bytes", "workers",
                     "threads"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive, got {getattr(self, name)}")
        if self.timeline_points < 10:
            raise SettingsError(f"timeline_points must be >= 10, got {self.timeline_points}")
        for name in ("request_seconds", "job_grace", "hapi_max_mb"):
            if not getattr(self, name) > 0:  # also rejects NaN
                raise SettingsError(f"{name} must be positive, got {getattr(self, name)}")

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, object] | None = None,
        config: Path | None = None,
    ) -> Settings:
        """Build settings from ``AWA_*`` variables, then a TOML file, then defaults.

        Parameters
        ----------
        env : mapping, optional
            Variables to read instead of the process environment.
        overrides : mapping, optional
            Field values that win over the environment (e.g. from the command line).
        config : Path, optional
            TOML file read below the variables (default: the file named by ``AWA_CONFIG``).
        """
        variables = os.environ if env is None else env
        if config is None and variables.get("AWA_CONFIG"):
            config = Path(variables["AWA_CONFIG"])
        src = _read_layers(env, config)
        values: dict[str, object] = {}

        def _float(var: str) -> float | None:
            raw = src.get(var)
            if raw is None or raw.strip() == "":
                return None
            try:
                return float(raw)
            except ValueError:
                raise SettingsError(f"{var} must be a number, got {raw!r}") from None

        def _int(var: str) -> int | None:
            num = _float(var)
            if num is None:
                return None
            if num != num or num in (float("inf"), float("-inf")):
                raise SettingsError(f"{var} must be a finite number, got {src[var]!r}")
            return int(num)

        if src.get("AWA_DATA_DIR"):
            values["data_dir"] = Path(src["AWA_DATA_DIR"])
        if src.get("AWA_CACHE_DIR"):
            values["cache_dir"] = Path(src["AWA_CACHE_DIR"])
        if src.get("AWA_REDIS_URL"):
            values["redis_url"] = src["AWA_REDIS_URL"]
        for var, name in (
            ("AWA_CACHE_TIMEOUT", "cache_timeout"),
            ("AWA_SCATTER_MAX", "scatter_max_events"),
            ("AWA_MAX_ROWS", "max_rows"),
            ("AWA_CHUNK_ROWS", "chunk_rows"),
            ("AWA_TIMELINE_POINTS", "timeline_points"),
            ("AWA_BACKGROUND_EVENTS", "background_events"),
            ("AWA_BACKGROUND_RANGES", "background_ranges"),
            ("AWA_MAX_RANGES", "max_ranges"),
            ("AWA_EVENTS_CSV_MAX_ROWS", "events_csv_max_rows"),
            ("AWA_SCAN_THREADS", "scan_threads"),
            ("AWA_MAX_BODY_BYTES", "max_body_bytes"),
            ("AWA_WORKERS", "workers"),
            ("AWA_THREADS", "threads"),
        ):
            num = _int(var)
            if num is not None:
                values[name] = num
        for var, name in (("AWA_REQUEST_SECONDS", "request_seconds"),
                          ("AWA_JOB_GRACE", "job_grace"),
                          ("AWA_HAPI_MAX_MB", "hapi_max_mb")):
            sec = _float(var)
            if sec is not None:
                values[name] = sec
        if src.get("AWA_BACKGROUND_DIR"):
            values["background_dir"] = Path(src["AWA_BACKGROUND_DIR"])
        if src.get("AWA_BUILD_VERSION"):
            values["build_version"] = src["AWA_BUILD_VERSION"].strip()
        if src.get("AWA_SIGNING_KEY"):
            values["signing_key"] = src["AWA_SIGNING_KEY"]
        if src.get("AWA_DEBUG"):
            values["debug"] = src["AWA_DEBUG"].strip().lower() in ("1", "true", "yes", "on")
        values.update(overrides or {})
        if src.get("AWA_CACHE_TYPE"):
            values.setdefault("cache_type", src["AWA_CACHE_TYPE"].strip().lower())
        elif "cache_type" not in values:
            if values.get("redis_url"):
                values["cache_type"] = "redis"
            elif values.get("cache_dir"):
                values["cache_type"] = "filesystem"
        if values.get("cache_type") == "filesystem" and not values.get("cache_dir"):
            # never inside the (possibly read-only) store folder: a per-user temporary folder
            values["cache_dir"] = Path(tempfile.gettempdir()) / f"awa-cache-{_uid()}"
        if not values.get("background_dir") and values.get("cache_dir"):
            values["background_dir"] = Path(str(values["cache_dir"])) / "background"
        return cls(**values)  # type: ignore[arg-type]

    def describe(self) -> str:
        """Return one ``name = value`` line per setting (for ``awa serve`` and logs)."""
        lines = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("redis_url", "signing_key") and value:
                value = "<set>"
            lines.append(f"{f.name} = {value}")
        return "\n".join(lines)
