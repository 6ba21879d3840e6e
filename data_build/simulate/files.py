"""Simulated days as archive files ``YYYY_DDD.fits.gz`` (spec section 2)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
from astropy.io import fits

from awa.chem.days import file_name
from data_build.fits_layout import HDU_HK, HDU_ME, HDU_ORBIT, HDU_SPIN, HduSpec
from data_build.simulate.config import SimConfig, SimulationError
from data_build.simulate.day import SimDay, simulate_day

__all__ = ["build_hdulist", "simulate", "simulate_days", "write_day"]

_UNITS = {"ST": "s", "TT": "s", "MAGLAT": "rad", "MAGLON": "rad", "L": "Re"}


def _table_hdu(spec: HduSpec, arrays: dict[str, npt.NDArray[np.generic]]) -> fits.BinTableHDU:
    columns = []
    for name, (tform, repeat) in spec.columns.items():
        array = arrays[name]
        rows = array.shape[0]
        expected = (rows,) if repeat == 1 else (rows, repeat)
        if array.shape != expected:
            raise SimulationError(f"{spec.name}.{name}: shape {array.shape}, expected {expected}")
        columns.append(fits.Column(name=name, format=tform, array=array, unit=_UNITS.get(name)))
    hdu = fits.BinTableHDU.from_columns(columns, name=spec.name)
    return hdu


def build_hdulist(sim: SimDay) -> fits.HDUList:
    """The day as an HDU list in the APL layout (spec section 2, :mod:`data_build.fits_layout`).

    Parameters
    ----------
    sim : SimDay
        A simulated day.

    Returns
    -------
    astropy.io.fits.HDUList
        Primary HDU (TELESCOP, INSTRUME, DATE-OBS, DATE-END, ORIGIN) and the ORBIT, HK, ME and
        SPIN binary tables with the layout's columns, TFORMs and EXTNAMEs.
    """
    primary = fits.PrimaryHDU()
    header = primary.header
    header["TELESCOP"] = ("AMPTE/CCE", "Charge Composition Explorer")
    header["INSTRUME"] = ("CHEM", "Charge-Energy-Mass spectrometer")
    header["DATE-OBS"] = (sim.day.isoformat(), "UT day of the data")
    header["DATE-END"] = ((sim.day + dt.timedelta(days=1)).isoformat(), "end (exclusive)")
    header["ORIGIN"] = ("AWA simulate", "simulated data")
    header["SIMSEED"] = (sim.seed, "base seed of the simulation")
    header["TIMESYS"] = ("UTC", "times in s since 1966-01-01 00:00")
    orbit_hdu = _table_hdu(HDU_ORBIT, {"ST": sim.st, "MAGLAT": sim.maglat, "MAGLON": sim.maglon})
    hk_hdu = _table_hdu(
        HDU_HK,
        {
            "CSHK": sim.cshk,
            "DPUMHK": sim.dpumhk,
            "TAKHK": sim.takhk,
            "PHAPHK": sim.phaphk,
            "PAPS": sim.paps,
            "SCHK": sim.schk,
        },
    )
    me_hdu = _table_hdu(HDU_ME, {"ME": sim.me})
    spin_hdu = _table_hdu(
        HDU_SPIN,
        {
            "TT": sim.tt,
            "L": sim.l_shell,
            "VS": sim.vs,
            "PHA": sim.pha,
            "DR": sim.dr,
            "SBR": sim.sbr,
        },
    )
    # the archive's header documentation of DR (its order is wrong: FSR, DCR, TCR, SSD)
    spin_hdu.header["COMMENT"] = "DR: direct rates SSD, FSR, DCR, TCR"
    spin_hdu.header["COMMENT"] = "PHA: 86 events x (Energy, TOF, Sector, SSDID, Range)"
    spin_hdu.header["COMMENT"] = "SBR: sectored basic rates, 3 ranges x 32 sectors"
    return fits.HDUList([primary, orbit_hdu, hk_hdu, me_hdu, spin_hdu])


def write_day(sim: SimDay, out_dir: str | os.PathLike[str]) -> Path:
    """Write the day as ``YYYY_DDD.fits.gz`` in ``out_dir`` (created if needed), atomically.

    The file is written to a temporary name in the same directory and renamed; the gzip
    stream has no time stamp, so the same day and seed give identical bytes.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimulationError(f"cannot create output directory {out}: {exc}") from None
    buffer = io.BytesIO()
    build_hdulist(sim).writeto(buffer)
    target = out / file_name(sim.day.year, sim.day.timetuple().tm_yday)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        ):
            gz.write(buffer.getbuffer())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return target


def simulate(
    start: dt.date,
    days: int,
    out_dir: str | os.PathLike[str],
    seed: int = 1,
    config: SimConfig | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> list[Path]:
    """Simulate and write ``days`` consecutive UT days from ``start``.

    Parameters
    ----------
    start : datetime.date
        First day.
    days : int
        Number of days (>= 1).
    out_dir : path
        Output directory.
    seed : int
        Base seed; each day's stream depends only on (seed, day).
    config : SimConfig, optional
        Simulation settings.
    progress : callable, optional
        Called as ``progress(done, total, path)`` after each day.

    Returns
    -------
    list of pathlib.Path
        Files written, in day order.
    """
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise SimulationError(f"days must be a whole number >= 1, got {days!r}")
    paths = []
    for i in range(int(days)):
        day = start + dt.timedelta(days=i)
        path = write_day(simulate_day(day, seed, config), out_dir)
        paths.append(path)
        if progress is not None:
            progress(i + 1, int(days), path)
    return paths


def _simulate_one(day: dt.date, out: Path, seed: int) -> list[Path]:
    return simulate(day, 1, out, seed=seed)


def simulate_days(start: dt.date, days: int, out: Path, seed: int, workers: int) -> list[Path]:
    """Simulate ``days`` UT days from ``start`` with ``workers`` processes (one day per task).

    Each day's random stream depends only on (seed, day), so the files are the same whatever
    the number of workers.  A progress line is printed after each day.
    """
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    paths: list[Path] = []
    t0 = time.perf_counter()
    if workers <= 1:
        results = (_simulate_one(d, out, seed) for d in dates)
        for i, got in enumerate(results, start=1):
            paths.extend(got)
            print(f"[{i}/{days} days simulated] {time.perf_counter() - t0:.1f} s")
        return paths
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_simulate_one, d, out, seed) for d in dates]
        for i, fut in enumerate(futures, start=1):
            paths.extend(fut.result())
            print(f"[{i}/{days} days simulated] {time.perf_counter() - t0:.1f} s")
    return paths
