"""The test store folder, made by the real pipeline: simulate -> daily FITS file -> build.

``build_folder(folder)`` simulates one UT day (1986-02-08, inside the February 1986 storm)
with :mod:`data_build.simulate` and builds it with :func:`data_build.stores.build_stores`, so
the folder holds what production always has: the five stores with their hour index, the
column sidecar (``awa.chem.schema.COLUMNS_FILE``) and the coverage file.  The event rate is
low and the archive quirks (TOF 1019, invalid SSDID, range 3, missing L, rate-relation
violations, PAPS off) are made frequent, so that every filter has something to remove in one
short day.  Dst and Kp are synthetic: one storm reaching about -140 nT near 10 UT, and one UT
hour without Dst.

``SimulatedStores`` reads its frames back from the stores, so that tests compare the query
layer with a brute-force pandas computation on the store's own content.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import tables

from awa.chem import schema
from data_build import simulate, stores

#: The simulated UT day (day of year 039).
DAY = dt.date(1986, 2, 8)
SEED = 1
#: A quiet event rate (the default is 62 ions per spin) and frequent quirks.
CONFIG = simulate.SimConfig(
    mean_events_per_spin=4.0,
    paps_off_cycles=5,
    l_fill_rate=1e-3,
    rate_violation_rate=0.02,
    tof_1019_rate=0.01,
    ssdid_invalid_rate=0.01,
    range3_rate=0.005,
)
#: The UT hour of ``DAY`` left without a Dst value.
DST_GAP_HOUR = 20
#: The one 3-hour Kp interval of the synthetic storm at 8+ (Kp 8.667): 09-12 UT of ``DAY``.
KP_8PLUS = (dt.datetime(1986, 2, 8, 9), dt.datetime(1986, 2, 8, 12))


@dataclass(frozen=True)
class SimulatedStores:
    """A built store folder and its frames, read back from the stores on first use."""

    folder: Path

    @cached_property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Every store of ``awa.chem.schema.STORES`` as a flat DataFrame, by file name.

        Index levels become columns (``SpinStartTime`` first) and AWA's arrays beside a table
        (``StoreSpec.extras``: HK ``MLTH``, ``CSHK``; ME ``CSHK``) are added as columns, so
        brute-force computations see every value the app reads.
        """
        out = {}
        for spec in schema.STORES:
            path = self.folder / spec.filename
            df = pd.read_hdf(path, spec.key)
            assert isinstance(df, pd.DataFrame)
            df = df.reset_index(drop=not spec.index_levels)
            if spec.extras:
                with tables.open_file(path) as h5:
                    for name in spec.extras:
                        df[name] = h5.get_node(f"{schema.EXTRAS_GROUP}/{name}").read()
            out[spec.filename] = df
        return out

    @property
    def pha(self) -> pd.DataFrame:
        return self.frames[schema.PHA_STORE.filename]

    @property
    def cal_pha(self) -> pd.DataFrame:
        return self.frames[schema.CAL_PHA_STORE.filename]

    @property
    def rates(self) -> pd.DataFrame:
        return self.frames[schema.RATES_STORE.filename]

    @property
    def hk(self) -> pd.DataFrame:
        return self.frames[schema.HK_STORE.filename]

    @property
    def me(self) -> pd.DataFrame:
        return self.frames[schema.ME_STORE.filename]


def storm_indices(start: dt.date = DAY, days: int = 1) -> tuple[pd.Series, pd.Series]:
    """Synthetic 3-hourly Kp and hourly Dst covering ``days`` days from ``start``, +- 1 day.

    Dst (nT) falls to about -140 nT at 10 UT of ``DAY``; hour ``DST_GAP_HOUR`` of ``DAY`` has
    no value.  Kp follows the storm in thirds (as full-precision floats, 26/3 for 8+, not
    GFZ's 3-decimal numbers), reaching 8+ in the interval ``KP_8PLUS`` only.
    """
    t0 = pd.Timestamp(DAY)
    first = pd.Timestamp(start) - pd.Timedelta(days=1)
    hours = pd.date_range(first, first + pd.Timedelta(days=days + 2), freq="1h")
    x = np.asarray((hours - t0) / pd.Timedelta(hours=1), dtype=float)
    dst = pd.Series(np.round(-20.0 - 120.0 * np.exp(-(((x - 10.0) / 5.0) ** 2))), index=hours)
    dst = dst.drop(t0 + pd.Timedelta(hours=DST_GAP_HOUR), errors="ignore")
    k_times = hours[::3]
    kx = np.asarray((k_times - t0) / pd.Timedelta(hours=1), dtype=float)
    kp = pd.Series(np.round(3 * (1.0 + 8.0 * np.exp(-(((kx - 10.0) / 6.0) ** 2)))) / 3, k_times)
    return kp.rename("Kp"), dst.rename("Dst")


def build_folder(
    folder: Path,
    start: dt.date = DAY,
    days: int = 1,
    seed: int = SEED,
    config: simulate.SimConfig = CONFIG,
) -> SimulatedStores:
    """Simulate ``days`` UT days into ``folder/fits``; build the stores into ``folder/stores``."""
    folder = Path(folder)
    paths = simulate.simulate(start, days, folder / "fits", seed=seed, config=config)
    kp, dst = storm_indices(start, days)
    result = stores.build_stores(
        paths,
        folder / "stores",
        kp=kp,
        dst=dst,
        index_sources={"Kp": "synthetic (tests)", "Dst": "synthetic (tests)"},
        workers=1,
        progress=None,
    )
    assert not result.failures, result.failures
    return SimulatedStores(folder / "stores")


def without_sidecar(built: SimulatedStores, folder: Path) -> SimulatedStores:
    """A copy of the built store folder without its column sidecar (the fallback path)."""
    shutil.copytree(built.folder, folder)
    (folder / schema.COLUMNS_FILE).unlink()
    return SimulatedStores(folder)
