"""Small synthetic AWA stores for tests, in exactly the layout of ``awa.chem.schema``.

``make_stores(folder)`` writes the four science stores and the calibration PHA store with
pandas ``to_hdf(format="table", data_columns=..., complib="blosc:zstd")`` from generated
DataFrames, sorted by ``SpinStartTime``, and returns the frames so that tests can compare
query results with a brute-force pandas computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from awa.chem import schema

SPIN_S = 6
#: (mass amu, charge, relative abundance) of the simulated ions.
SPECIES = ((1.0, 1, 0.80), (4.0, 2, 0.05), (4.0, 1, 0.04), (16.0, 1, 0.08), (16.0, 6, 0.03))


@dataclass(frozen=True)
class SimulatedStores:
    """The folder written and the frames it holds (by store key)."""

    folder: Path
    frames: dict[str, pd.DataFrame]

    @property
    def pha(self) -> pd.DataFrame:
        return self.frames[schema.PHA_STORE.key]

    @property
    def rates(self) -> pd.DataFrame:
        return self.frames[schema.RATES_STORE.key]

    @property
    def hk(self) -> pd.DataFrame:
        return self.frames[schema.HK_STORE.key]

    @property
    def me(self) -> pd.DataFrame:
        return self.frames[schema.ME_STORE.key]


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Columns of ``columns`` in order and dtype; a column the simulation lacks is zeros."""
    return pd.DataFrame(
        {
            c: (df[c].to_numpy() if c in df else np.zeros(len(df))).astype(dt)
            for c, dt in columns.items()
        }
    )


def write_store(folder: Path, spec: schema.StoreSpec, df: pd.DataFrame) -> Path:
    """Write one store file like the build does; return its path."""
    path = Path(folder) / spec.filename
    data_columns = list(schema.ME_DATA_COLUMNS) if spec is schema.ME_STORE else list(spec.columns)
    df.to_hdf(
        path,
        key=spec.key,
        format="table",
        data_columns=data_columns,
        complib="blosc:zstd",  # type: ignore[arg-type]
        complevel=5,
        index=False,
        mode="w",
    )
    return path


def simulate_frames(
    start: str = "1986-02-08", days: float = 1.0, events_per_spin: float = 4.0, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Generate consistent PHA, calibration PHA, rates, HK and ME frames.

    Spins are 6 s apart; 32 spins make a cycle and a voltage sweep (steps 0, 2, ..., 62).
    Every 40th cycle is a calibration cycle (CSHK = 1): its spins go to the calibration PHA
    store only.  Quirks the filters must handle are sprinkled in: TOF = 1019, Range 3,
    SSDID 0/4/5, doubles (Energy 0), test DPU modes, other TAC slopes and priorities,
    missing L, missing Dst, and rates that break the R_n <= BR_n relations.
    """
    rng = np.random.default_rng(seed)
    n_cycles = int(days * 86400 / (SPIN_S * schema.SPINS_PER_CYCLE))
    n_spins = n_cycles * schema.SPINS_PER_CYCLE
    t0 = pd.Timestamp(start)
    spin_time = t0 + pd.to_timedelta(np.arange(n_spins) * SPIN_S, unit="s")
    cycle = np.arange(n_spins) // schema.SPINS_PER_CYCLE
    in_cycle = np.arange(n_spins) % schema.SPINS_PER_CYCLE
    hours = (spin_time - t0).total_seconds().to_numpy() / 3600.0

    # Per-cycle housekeeping.
    cyc_paps = rng.choice([5, 5, 5, 5, 4, 6, 0], size=n_cycles).astype(np.int8)
    cyc_dpu = rng.choice([0, 0, 0, 2, 2, 1, 3], size=n_cycles).astype(np.int8)
    cyc_tac = rng.choice([0] * 8 + [1, 3], size=n_cycles).astype(np.int8)
    cyc_prio = rng.choice([78] * 8 + [76, 66], size=n_cycles).astype(np.int16)
    cyc_cshk = np.where(np.arange(n_cycles) % 40 == 39, 1, 0).astype(np.int16)

    orbit_phase = 2 * np.pi * hours / 15.66
    L = (5.0 - 3.8 * np.cos(orbit_phase)).astype(np.float32)
    L[(np.arange(n_spins) % 997) == 5] = schema.L_FILL
    mlt = np.mod(12.0 + 24.0 * hours / 15.66 * 0.3 + 3 * np.sin(orbit_phase), 24.0)
    maglat = (0.05 * np.sin(orbit_phase * 2)).astype(np.float32)
    dst_hourly = np.round(-20 - 120 * np.exp(-(((np.arange(int(days * 24) + 2) - 10) / 5.0) ** 2))
                          + rng.normal(0, 5, int(days * 24) + 2))  # fmt: skip
    dst = dst_hourly[np.floor(hours).astype(int)].astype(np.float32)
    dst[(np.floor(hours).astype(int) % 24) == 20] = np.nan
    kp = np.clip(np.round(3 * (-dst / 60.0)) / 3.0, 0, 9).astype(np.float32)

    vstep = (in_cycle * 2).astype(np.int8)
    period = in_cycle.astype(np.int16)

    ctx = pd.DataFrame(
        {
            "SpinStartTime": spin_time.to_numpy(),
            "PAPS_lvl": cyc_paps[cycle],
            "DPU_Mode": cyc_dpu[cycle],
            "TAC_Slope": cyc_tac[cycle],
            "PHA_Priority": cyc_prio[cycle],
            "L": L,
            "MLTH": mlt.astype(np.float32),
            "MAGLAT": maglat,
            "MAGLON": (mlt * np.pi / 12).astype(np.float32),
            "Voltage_Step": vstep,
            "Period_Cntr": period,
            "CSHK": cyc_cshk[cycle],
            "Dst": dst,
            "Kp": kp,
        }
    )

    # PHA events.
    n_ev = np.minimum(rng.poisson(events_per_spin, n_spins), schema.EVENTS_PER_SPIN)
    spin_of = np.repeat(np.arange(n_spins), n_ev)
    n = spin_of.size
    probs = np.array([s[2] for s in SPECIES])
    sp = rng.choice(len(SPECIES), size=n, p=probs / probs.sum())
    mass = np.array([s[0] for s in SPECIES])[sp]
    charge = np.array([s[1] for s in SPECIES])[sp]
    epq = 1.4 * 1.087 ** vstep[spin_of].astype(float)
    paps_kv = np.array([schema.PAPS_KV.get(int(k), 0.0) for k in range(9)])[
        np.clip(cyc_paps[cycle[spin_of]], 0, 8)
    ]
    e_after = np.maximum(charge * (epq + paps_kv) - 2.0 * np.sqrt(mass), 1.0)
    t_ns = 239.89 / np.sqrt(e_after / mass) * rng.normal(1.0, 0.02, n)
    e_meas = e_after * (1.0 - 0.12 * np.log(mass)) * rng.normal(1.0, 0.05, n)
    energy = np.clip(np.round(e_meas * 1023 / 1500), 0, 1023).astype(np.int16)
    energy[e_meas < 25] = 0
    tof = np.clip(np.round(t_ns * 1023 / 320), 1, 1023).astype(np.int16)
    tof[rng.random(n) < 0.01] = 1019
    rng_code = rng.choice([0, 1, 2], size=n, p=[0.6, 0.3, 0.1]).astype(np.int8)
    rng_code[rng.random(n) < 0.005] = 3
    ssd = rng.choice([1, 2, 3], size=n).astype(np.int8)
    bad = rng.random(n) < 0.01
    ssd[bad] = rng.choice([0, 4, 5], size=int(bad.sum()))
    sector = rng.integers(0, 32, size=n).astype(np.int8)

    pha_all = ctx.iloc[spin_of].reset_index(drop=True)
    pha_all["Sector"] = sector
    pha_all["SSDID"] = ssd
    pha_all["Energy"] = energy
    pha_all["TOF"] = tof
    pha_all["Range"] = rng_code
    science = pha_all["CSHK"].to_numpy() == 0

    # Rates per spin, consistent with the events (a few spins break the relations).
    r_counts = np.zeros((3, n_spins), dtype=np.int64)
    for k in range(3):
        r_counts[k] = np.bincount(spin_of[rng_code == k], minlength=n_spins)
    br = r_counts + rng.poisson([[20], [8], [2]], size=(3, n_spins))
    br[0, rng.random(n_spins) < 0.01] = 0  # R0 > BR0 in some spins
    dcr = br.sum(axis=0) + rng.poisson(30, n_spins)
    dcr[rng.random(n_spins) < 0.02] //= 4  # sum BR > DCR in some spins
    tcr = br[2] + rng.poisson(5, n_spins)
    fsr = dcr * 3 + rng.poisson(100, n_spins)
    fsr[(cycle % 25 == 3) & (vstep == 10)] = 50_000  # noisy sweeps
    ssd_rate = tcr + rng.poisson(50, n_spins)
    rates = ctx.copy()
    for name, val in (("FSR", fsr), ("DCR", dcr), ("TCR", tcr), ("SSD", ssd_rate)):
        rates[name] = val
    for k in range(3):
        rates[f"BR{k}"] = br[k]
        rates[f"R{k}"] = r_counts[k]
    broken = (r_counts > br).any(axis=0) | (br.sum(axis=0) > dcr) | (br[2] > tcr)
    quality = np.where(broken, 2, 0) | np.where(L < 1, 4, 0)
    rates["Quality"] = quality.astype(np.int8)
    rates = rates[rates["CSHK"].to_numpy() == 0]

    first = in_cycle == 0
    hk = ctx[first]
    me = pd.DataFrame({"SpinStartTime": hk["SpinStartTime"], "L": hk["L"], "CSHK": hk["CSHK"]})
    me_counts = rng.poisson(3, size=(len(hk), schema.N_ME))
    me = pd.concat(
        [me.reset_index(drop=True),
         pd.DataFrame(me_counts, columns=schema.ME_COLUMN_NAMES)], axis=1
    )  # fmt: skip

    return {
        schema.PHA_STORE.key: _typed(pha_all[science], schema.PHA_COLUMNS),
        schema.CAL_PHA_STORE.key: _typed(pha_all[~science], schema.PHA_COLUMNS),
        schema.RATES_STORE.key: _typed(rates, schema.RATES_COLUMNS),
        schema.HK_STORE.key: _typed(hk, schema.HK_COLUMNS),
        schema.ME_STORE.key: _typed(me, schema.ME_COLUMNS),
    }


def make_stores(
    folder: Path,
    start: str = "1986-02-08",
    days: float = 1.0,
    events_per_spin: float = 4.0,
    seed: int = 0,
) -> SimulatedStores:
    """Simulate and write all stores of ``awa.chem.schema`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = simulate_frames(start, days, events_per_spin, seed)
    for spec in schema.STORES:
        write_store(folder, spec, frames[spec.key])
    return SimulatedStores(folder, frames)
