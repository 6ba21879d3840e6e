"""Names, dtypes, units and file names of the AWA stores, in one place.

Both the build (``data_build``) and the app (``awa``) use these tables; the build also
writes the units into each store as HDF5 attributes.  Column names follow the science
team's stores (spec section 7) so that existing notebooks keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Time origin of the FITS ``ST``/``TT`` columns: seconds since 1966-01-01 00:00 UT.
EPOCH = pd.Timestamp("1966-01-01 00:00:00")
#: Times at/after this are clipped by the archive convention (spec section 2).
CLIP_HIGH = pd.Timestamp("1990-01-01 00:00:00")
#: Seconds from EPOCH to CLIP_HIGH.
CLIP_HIGH_SECONDS = int((CLIP_HIGH - EPOCH).total_seconds())

SPINS_PER_CYCLE = 32
SECTORS = 32
EVENTS_PER_SPIN = 86
WORDS_PER_EVENT = 5
N_ME = 512
N_ME_BOXES = 491
#: The TOF channel that is an on-board artefact (spec section 2); such events are kept and
#: filtered out by the queries.
TOF_ARTEFACT = 1019

#: Bit pattern 0x00100000 as float32: the archive's L fill value. Any L < 1 is missing.
L_FILL = np.frombuffer(np.uint32(0x00100000).tobytes(), dtype=np.float32)[0]

#: PAPS voltage (kV) by level 1..6; other levels (-1, 0, 7, 8) have no valid voltage.
PAPS_KV = {1: 14.0, 2: 15.3, 3: 17.0, 4: 18.8, 5: 21.9, 6: 24.1}
#: TAC slope codes (HK ``TAKHK``).
TAC_SLOPES = {0: "nominal", 1: "+5 %", 2: "Ba mode", 3: "-5 %", 6: "+10 %"}
#: PHA priority codes (HK ``PHAPHK``, ASCII).
PHA_PRIORITIES = {78: "N (normal)", 76: "L (Li mode)", 66: "B (Ba mode)"}
#: DPU modes; 0 and 2 are operational.
DPU_MODES = {0: "operational 0", 1: "test 1", 2: "operational 2", 3: "test 3"}

# ---------------------------------------------------------------------------------------
# Store files and keys (spec section 7)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSpec:
    """One HDF5 store: file name, key, columns (name -> numpy dtype) and indexed columns."""

    filename: str
    key: str
    columns: dict[str, str]
    indexed: tuple[str, ...]
    description: str


_CONTEXT = {
    "SpinStartTime": "datetime64[ns]",
    "PAPS_lvl": "int8",
    "DPU_Mode": "int8",
    "TAC_Slope": "int8",
    "PHA_Priority": "int16",
    "L": "float32",
}

PHA_COLUMNS = {
    **_CONTEXT,
    "MLTH": "float32",
    "Voltage_Step": "int8",
    "Sector": "int8",
    "SSDID": "int8",
    "Energy": "int16",
    "TOF": "int16",
    "Range": "int8",
}

RATES_COLUMNS = {
    **_CONTEXT,
    "MAGLAT": "float32",
    "MAGLON": "float32",
    "MLTH": "float32",
    "Period_Cntr": "int16",
    "Voltage_Step": "int8",
    "FSR": "int32",
    "DCR": "int32",
    "TCR": "int32",
    "SSD": "int32",
    "BR0": "int32",
    "BR1": "int32",
    "BR2": "int32",
    "R0": "int16",
    "R1": "int16",
    "R2": "int16",
    "CSHK": "int16",
    "Quality": "int8",
    "Dst": "float32",
    "Kp": "float32",
}

#: Bits of the rates ``Quality`` column (0 = clean spin).
QUALITY_BAD_PERIOD = 1  # inside a bad-period table entry (its PHA is not in the science store)
QUALITY_RATE_RELATION = 2  # violates R_n <= BR_n, BR0+BR1+BR2 <= DCR or BR2 <= TCR
QUALITY_L_FILL = 4  # L was the archive's fill value

HK_COLUMNS = {
    **_CONTEXT,
    "MAGLAT": "float32",
    "MAGLON": "float32",
    "MLTH": "float32",
    "CSHK": "int16",
    "Dst": "float32",
    "Kp": "float32",
}

ME_COLUMN_NAMES = [f"ME{i}" for i in range(N_ME)]
ME_COLUMNS = {
    "SpinStartTime": "datetime64[ns]",
    "L": "float32",
    "CSHK": "int16",
    **{name: "int32" for name in ME_COLUMN_NAMES},
}

PHA_STORE = StoreSpec(
    "AMPTE_CHEM_nocal_pha.h5",
    "ampte_pha",
    PHA_COLUMNS,
    ("SpinStartTime", "L", "Energy"),
    "Pulse-height events of science spins (CSHK == 0), bad periods removed",
)
CAL_PHA_STORE = StoreSpec(
    "AMPTE_CHEM_cal_pha.h5",
    "ampte_cal_pha",
    PHA_COLUMNS,
    ("SpinStartTime",),
    "Pulse-height events of calibration spins (CSHK != 0)",
)
RATES_STORE = StoreSpec(
    "AMPTE_CHEM_rates_dst.h5",
    "ampte_rates",
    RATES_COLUMNS,
    ("SpinStartTime",),
    "One row per spin: direct and basic rates, PHA range counts, Dst and Kp",
)
HK_STORE = StoreSpec(
    "AMPTE_CHEM_hk_dst.h5",
    "ampte_hk",
    HK_COLUMNS,
    ("SpinStartTime",),
    "One row per cycle (cycle start time): housekeeping, orbit, Dst and Kp",
)
ME_STORE = StoreSpec(
    "AMPTE_CHEM_me.h5",
    "ampte_me",
    ME_COLUMNS,
    ("SpinStartTime",),
    "One row per cycle (cycle start time): matrix-element counts ME0..ME511",
)
STORES = (PHA_STORE, RATES_STORE, HK_STORE, ME_STORE, CAL_PHA_STORE)

#: Per-day coverage table written by the build beside the stores (JSON): spins, cycles,
#: PHA events, calibration time, time blocks and the verify findings of each daily file.
COVERAGE_FILE = "AMPTE_CHEM_coverage.json"

#: Column sidecar written by every build beside the stores (``awa.columns``): the PHA and
#: rates columns the app scans, one compressed chunked array each, for fast column reads.
#: An addition for the app; the pandas stores above are unchanged by it.
COLUMNS_FILE = "AMPTE_CHEM_columns.h5"
#: Event-level PHA columns in the sidecar (one value per PHA row).
SIDECAR_EVENT_COLUMNS = ("Energy", "TOF", "Range", "SSDID")
#: Spin-level PHA columns, run-length encoded in the sidecar (one value per run of rows).
SIDECAR_RUN_COLUMNS = (
    "SpinStartTime", "L", "MLTH", "Voltage_Step", "PAPS_lvl", "DPU_Mode", "TAC_Slope",
    "PHA_Priority",
)  # fmt: skip
#: Rates columns in the sidecar (one value per rates row).
SIDECAR_RATES_COLUMNS = (
    "SpinStartTime", "Period_Cntr", "Voltage_Step", "FSR", "DCR", "TCR", "SSD",
    "BR0", "BR1", "BR2", "R0", "R1", "R2", "Dst", "Kp",
)  # fmt: skip

#: Columns queryable in ``where`` expressions (PyTables data columns); the ME store only
#: needs its time, L and CSHK.
ME_DATA_COLUMNS = ("SpinStartTime", "L", "CSHK")

# ---------------------------------------------------------------------------------------
# Units (stored as HDF5 attributes; UI labels come from here)
# ---------------------------------------------------------------------------------------

UNITS: dict[str, str] = {
    "SpinStartTime": "UTC (spin start; cycle start for HK and ME)",
    "PAPS_lvl": "level code (1-6 valid; kV in PAPS_KV)",
    "DPU_Mode": "code (0, 2 operational)",
    "TAC_Slope": "code (0 nominal)",
    "PHA_Priority": "ASCII code (78 N, 76 L, 66 B)",
    "L": "Earth radii (McIlwain L; NaN = missing)",
    "MAGLAT": "rad",
    "MAGLON": "rad (MLT angle)",
    "MLTH": "h (magnetic local time)",
    "Period_Cntr": "spins since start of voltage sweep",
    "Voltage_Step": "E/Q step 0-63",
    "Sector": "sector 0-31",
    "SSDID": "detector 1-3",
    "Energy": "channel 0-1023 (keV = ch * 1500/1023)",
    "TOF": "channel 0-1023 (ns = ch * 320/1023)",
    "Range": "priority range 0-2",
    "FSR": "counts/spin",
    "DCR": "counts/spin",
    "TCR": "counts/spin",
    "SSD": "counts/spin",
    "BR0": "counts/spin (summed over sectors)",
    "BR1": "counts/spin (summed over sectors)",
    "BR2": "counts/spin (summed over sectors)",
    "R0": "PHA events with Range 0 in the spin",
    "R1": "PHA events with Range 1 in the spin",
    "R2": "PHA events with Range 2 in the spin",
    "CSHK": "code (0 science, else calibration)",
    "Quality": "bits: 1 bad period, 2 rate-relation violation, 4 L fill (0 = clean)",
    "Dst": "nT (hourly, WDC Kyoto; NaN = missing)",
    "Kp": "Kp (3-hourly, decimal; NaN = missing)",
}
for _name in ME_COLUMN_NAMES:
    UNITS[_name] = "counts/cycle"
