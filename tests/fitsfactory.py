"""Build small daily CHEM FITS files in memory, in the layout of ``data_build.fits_layout``.

Tests start from :func:`default_columns` (a flat ``{column: array}`` dict for a few
well-formed cycles), change whatever quirk they need, and turn the dict into an
``HDUList`` with :func:`build_hdul` (optionally with other FITS formats per column, to test
dtype variants) and into a file with :func:`write_fits`.  Column names are unique across the
four extensions, so one flat dict is enough.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.io import fits

from awa.chem.schema import EPOCH, EVENTS_PER_SPIN, SPINS_PER_CYCLE
from data_build.fits_layout import HDUS

#: FITS format letter -> numpy dtype used to write the column.
FORMAT_DTYPES = {
    "L": np.bool_,
    "B": np.uint8,
    "I": np.int16,
    "J": np.int32,
    "K": np.int64,
    "E": np.float32,
    "D": np.float64,
}


def seconds(timestamp: str) -> float:
    """Seconds since 1966-01-01 of an ISO timestamp (the FITS ``TT``/``ST`` unit)."""
    delta = np.datetime64(timestamp, "ns") - EPOCH.to_datetime64().astype("datetime64[ns]")
    return float(delta.astype(np.int64)) / 1e9


#: Default start of the first spin: 1986-02-09 00:00:30 UT, seconds since 1966-01-01.
DEFAULT_START = seconds("1986-02-09T00:00:30")
#: Spin period of the generated spins (s).
SPIN_PERIOD = 5.6


def default_columns(
    n_cycles: int = 3,
    *,
    events_per_spin: int = 4,
    start: float = DEFAULT_START,
    seed: int = 1,
) -> dict[str, npt.NDArray[Any]]:
    """Well-formed columns for ``n_cycles`` cycles (32 spins each).

    Spins start at ``start`` (s since 1966-01-01) every 5.6 s; each spin holds
    ``events_per_spin`` non-empty PHA events in its first slots (SSDID 1-3, Range 0-2, no
    TOF 1019) and basic and direct rates that satisfy the rate relations.
    """
    rng = np.random.default_rng(seed)
    n_spins = n_cycles * SPINS_PER_CYCLE
    tt = start + SPIN_PERIOD * np.arange(n_spins)
    st = tt[::SPINS_PER_CYCLE].copy()
    pha = np.zeros((n_spins, EVENTS_PER_SPIN, 5), dtype=np.int16)
    k = events_per_spin
    pha[:, :k, 0] = rng.integers(0, 1024, (n_spins, k))  # Energy
    pha[:, :k, 1] = rng.integers(1, 1019, (n_spins, k))  # TOF
    pha[:, :k, 2] = rng.integers(0, 32, (n_spins, k))  # Sector
    pha[:, :k, 3] = rng.integers(1, 4, (n_spins, k))  # SSDID
    pha[:, :k, 4] = rng.integers(0, 3, (n_spins, k))  # Range
    r_counts = np.stack([(pha[:, :k, 4] == n).sum(axis=1) for n in range(3)], axis=1)
    sbr = rng.integers(0, 20, (n_spins, 3, 32)).astype(np.int32)
    sbr[:, :, 0] += r_counts.astype(np.int32)  # BR_n >= R_n
    br = sbr.sum(axis=2)
    dcr = br.sum(axis=1) + rng.integers(0, 50, n_spins)
    tcr = br[:, 2] + rng.integers(0, 50, n_spins)
    fsr = dcr + rng.integers(0, 500, n_spins)
    ssd = rng.integers(0, 1000, n_spins)
    step = np.arange(n_spins) % SPINS_PER_CYCLE
    return {
        "ST": st,
        "MAGLAT": rng.uniform(-0.2, 0.2, n_cycles).astype(np.float32),
        "MAGLON": rng.uniform(-np.pi, np.pi, n_cycles).astype(np.float32),
        "CSHK": np.zeros(n_cycles, dtype=np.int16),
        "DPUMHK": np.zeros(n_cycles, dtype=np.int16),
        "TAKHK": np.zeros(n_cycles, dtype=np.int16),
        "PHAPHK": np.full(n_cycles, 78, dtype=np.int16),
        "PAPS": np.full(n_cycles, 5, dtype=np.int16),
        "SCHK": np.zeros((n_cycles, 25), dtype=np.uint8),
        "ME": rng.integers(0, 5000, (n_cycles, 512)).astype(np.int32),
        "TT": tt,
        "L": rng.uniform(1.5, 8.5, n_spins).astype(np.float32),
        "VS": np.stack([step * 2, step], axis=1).astype(np.int16),
        "PHA": pha.reshape(n_spins, EVENTS_PER_SPIN * 5),
        "DR": np.stack([fsr, dcr, tcr, ssd], axis=1).astype(np.int32),
        "SBR": sbr.reshape(n_spins, 96),
    }


def build_hdul(
    columns: dict[str, npt.NDArray[Any]],
    *,
    formats: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    n_extensions: int = 4,
) -> fits.HDUList:
    """An ``HDUList`` (primary + extensions 1-4 of the layout) from a flat column dict.

    Parameters
    ----------
    columns : dict
        Column name -> array with one row per cycle (HDU 1-3) or spin (HDU 4); vector
        columns are 2-D and their width sets the FITS repeat count (so wrong widths can be
        written on purpose).
    formats : dict, optional
        Column name -> FITS format letter (``"I"``, ``"J"``, ``"K"``, ``"E"``, ``"D"``, ...)
        replacing the layout's letter; the repeat count always comes from the array.
    drop : tuple of str
        Columns to leave out.
    n_extensions : int
        Keep only the first ``n_extensions`` extensions (to test missing HDUs).
    """
    formats = formats or {}
    hdus: list[Any] = [fits.PrimaryHDU()]
    for spec in HDUS[:n_extensions]:
        cols = []
        for name, (tform, _repeat) in spec.columns.items():
            if name in drop:
                continue
            arr = np.asarray(columns[name])
            letter = formats.get(name, tform.lstrip("0123456789"))
            arr = arr.astype(FORMAT_DTYPES[letter])
            width = 1 if arr.ndim == 1 else int(np.prod(arr.shape[1:]))
            fmt = letter if width == 1 and arr.ndim == 1 else f"{width}{letter}"
            data = arr.reshape(len(arr), width) if arr.ndim > 1 else arr
            cols.append(fits.Column(name=name, format=fmt, array=data))
        hdus.append(fits.BinTableHDU.from_columns(cols, name=spec.name))
    return fits.HDUList(hdus)


def fits_bytes(hdul: fits.HDUList) -> bytes:
    """The HDU list serialised as a plain FITS file."""
    buf = io.BytesIO()
    hdul.writeto(buf)
    return buf.getvalue()


def write_fits(hdul: fits.HDUList, path: Path, *, compress: bool = True) -> Path:
    """Write ``hdul`` to ``path`` (gzip-compressed unless ``compress`` is False)."""
    raw = fits_bytes(hdul)
    path.write_bytes(gzip.compress(raw, compresslevel=1) if compress else raw)
    return path
