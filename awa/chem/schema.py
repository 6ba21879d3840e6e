"""Names, dtypes, units, fill values, UI labels and file names of the AWA stores, in one place.

:data:`QUANTITIES` is the one table of the columns (and of the values the app derives from
them): the store layouts take their dtypes from it, the build writes its units into each
store as an HDF5 attribute (:func:`store_units`), the app reads them back
(:func:`read_units`), and the figures take their axis labels from it (:func:`label`).
Column names follow the science team's stores (spec section 7) so that existing notebooks
keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
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
#: Full scale of the residual-energy channel (keV at channel CHANNEL_MAX), spec section 4.
ENERGY_FULL_SCALE_KEV = 1500.0
#: Full scale of the time-of-flight channel (ns at channel CHANNEL_MAX), spec section 4.
TOF_FULL_SCALE_NS = 320.0
#: Largest channel value of both PHA words.
CHANNEL_MAX = 1023

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
    """One HDF5 store in the science team's layout (spec section 7).

    Attributes
    ----------
    filename, key : str
        File name and pandas key.
    columns : dict
        Every named column of the pandas frame, index levels first (name -> numpy dtype).
    indexed : tuple of str
        PyTables fields given a completely sorted index.
    description : str
        What one row is.
    index_levels : tuple of str
        Columns that form the frame's index: several for the PHA MultiIndex, ``SpinStartTime``
        for the ME DatetimeIndex, none for a RangeIndex.
    data_columns : tuple of str
        Columns queryable in ``where`` (PyTables fields of their own).
    extras : dict
        Per-row values AWA needs beyond the team's columns (name -> dtype), kept outside the
        pandas table as arrays ``/awa/columns/<name>`` of the same file, row for row.
    labels : tuple of int
        Integer column labels after ``columns`` (the ME counts 0..511, dtype ``label_dtype``).
    label_dtype : str
        Dtype of the ``labels`` columns.
    """

    filename: str
    key: str
    columns: dict[str, str]
    indexed: tuple[str, ...]
    description: str
    index_levels: tuple[str, ...] = ()
    data_columns: tuple[str, ...] = ()
    extras: dict[str, str] = field(default_factory=dict)
    labels: tuple[int, ...] = ()
    label_dtype: str = "int32"

    @property
    def time_field(self) -> str:
        """PyTables field of the time: ``index`` when time is a lone DatetimeIndex."""
        return "index" if self.index_levels == ("SpinStartTime",) else "SpinStartTime"


@dataclass(frozen=True)
class Quantity:
    """One named quantity of the archive: a store column or a value the app derives.

    Attributes
    ----------
    name : str
        Column name in the stores (or of the derived array).
    dtype : str
        NumPy dtype: the stored one for a column, the computed one for a derived value.
    units : str
        Units text; for a stored column this is what the build writes into each store
        (attribute :data:`UNITS_ATTR`) and :func:`read_units` reads back.
    label : str
        Axis and panel label of the UI, with its unit.
    fill : float, optional
        Stored value that marks a missing value (NaN); None when the column is never missing.
    stored : bool
        True for a store column, False for a value derived from them.
    """

    name: str
    dtype: str
    units: str
    label: str
    fill: float | None = None
    stored: bool = True


#: Scale text of the PHA channels (spec section 4); the numbers are
#: ``awa.chem.physics.E_KEV_PER_CHANNEL`` and ``T_NS_PER_CHANNEL``.
_ENERGY_SCALE = ("keV", f"{ENERGY_FULL_SCALE_KEV:g}/{CHANNEL_MAX}")
_TOF_SCALE = ("ns", f"{TOF_FULL_SCALE_NS:g}/{CHANNEL_MAX}")
_NAN = float("nan")


def _q(name: str, dtype: str, units: str, label: str, fill: float | None = None) -> Quantity:
    return Quantity(name, dtype, units, label, fill)


def _derived(name: str, units: str, label: str) -> Quantity:
    return Quantity(name, "float64", units, label, _NAN, stored=False)


_RATE = "counts/spin"
_BASIC = "counts/spin (summed over sectors)"
_PHA_RANGE = "PHA events with Range {} in the spin"

#: Every named quantity: the store columns, then the values the app derives from them
#: (spec sections 2, 4 and 7).  Labels are those of the app's axes and panels.
QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        _q("SpinStartTime", "datetime64[ns]", "UTC (spin start; cycle start for HK and ME)",
           "time, UTC"),
        _q("PAPS_lvl", "int8", "level code (1-6 valid; kV in PAPS_KV)", "PAPS level"),
        _q("DPU_Mode", "int8", "code (0, 2 operational)", "DPU mode"),
        _q("TAC_Slope", "int8", "code (0 nominal)", "TAC slope code"),
        _q("PHA_Priority", "int8", "ASCII code (78 N, 76 L, 66 B)", "PHA priority code"),
        _q("L", "float32", "Earth radii (McIlwain L; NaN = missing)", "L, Re", _NAN),
        _q("MAGLAT", "float32", "rad", "MAGLAT, rad"),
        _q("MAGLON", "float32", "rad (MLT angle)", "MAGLON, rad"),
        _q("MLTH", "float32", "h (magnetic local time)", "MLT, h"),
        _q("Period_Cntr", "int8", "spins since start of voltage sweep", "period counter, spins"),
        _q("Voltage_Step", "int8", "E/Q step 0-63", "E/Q step"),
        _q("Sector", "int8", "sector 0-31", "sector"),
        _q("SSDID", "int8", "detector 1-3", "SSD"),
        _q("Energy", "int16", "channel 0-1023 ({} = ch * {})".format(*_ENERGY_SCALE),
           "Energy channel (ch; {} = ch·{})".format(*_ENERGY_SCALE)),
        _q("TOF", "int16", "channel 0-1023 ({} = ch * {})".format(*_TOF_SCALE),
           "TOF channel (ch; {} = ch·{})".format(*_TOF_SCALE)),
        _q("Range", "int8", "priority range 0-2", "range"),
        *(_q(n, "int32", _RATE, f"{n}, {_RATE}") for n in ("FSR", "DCR", "TCR", "SSD")),
        *(_q(f"BR{i}", "int32", _BASIC, f"BR{i}, {_RATE}") for i in range(3)),
        *(_q(f"R{i}", "int32", _PHA_RANGE.format(i), f"R{i}, events/spin") for i in range(3)),
        _q("CSHK", "int16", "code (0 science, else calibration)", "CSHK code"),
        _q("Quality", "int8",
           "bits: 1 bad period, 2 rate-relation violation, 4 L fill (0 = clean)",
           "quality bits"),
        _q("Dst", "float64", "nT (hourly, WDC Kyoto; NaN = missing)", "Dst, nT", _NAN),
        _q("Kp", "float64", "Kp (3-hourly, GFZ thirds to 3 decimals; NaN = missing)", "Kp", _NAN),
        *(_q(str(i), "int32", "counts/cycle", f"ME{i}, counts/cycle") for i in range(N_ME)),
        # derived by the app (spec section 4), not stored
        _derived("E_keV", "keV", "residual energy, keV"),
        _derived("T_ns", "ns", "time of flight, ns"),
        _derived("mass", "amu", "mass M, amu"),
        _derived("mpq", "amu/e", "mass per charge M/Q, amu/e"),
        _derived("PAPS_kV", "kV", "PAPS, kV"),
        _derived("R/BR", "ratio (R_n / BR_n)", "Rn/BRn, ratio"),
        _derived("ME_sum", f"counts/cycle (sum of the {N_ME_BOXES} boxes)", "ΣME, counts/cycle"),
        _derived("ME_counts", "counts/cycle (sum of the chosen boxes)", "counts / cycle"),
    )
}  # fmt: skip


def label(name: str) -> str:
    """Axis or panel label, with its unit, of the quantity ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`QUANTITIES`: a store column (``"Dst"``) or a derived value
        (``"T_ns"``).

    Returns
    -------
    str
        The label, e.g. ``label("Dst") == "Dst, nT"``.

    Raises
    ------
    KeyError
        ``name`` is not a known quantity.
    """
    try:
        return QUANTITIES[name].label
    except KeyError:
        raise KeyError(f"no quantity {name!r} in awa.chem.schema.QUANTITIES") from None


def _columns(*names: str) -> dict[str, str]:
    """Column name -> stored dtype of ``names``, in order."""
    return {name: QUANTITIES[name].dtype for name in names}


_CONTEXT_NAMES = ("SpinStartTime", "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "L")

#: The 10 levels of the PHA stores' MultiIndex, in order (spec section 7).
PHA_INDEX_LEVELS = (*_CONTEXT_NAMES, "MLTH", "Voltage_Step", "Sector", "SSDID")
#: PHA columns: index levels (L float64 there), then the values Energy, TOF, Range.
PHA_COLUMNS = {**_columns(*PHA_INDEX_LEVELS, "Energy", "TOF", "Range"), "L": "float64"}
PHA_DATA_COLUMNS = (*PHA_INDEX_LEVELS, "Energy")

#: The science team's 22 rates columns, in their order and dtypes (spec section 7).
TEAM_RATES_COLUMNS = _columns(
    *_CONTEXT_NAMES, "MAGLAT", "MAGLON", "Period_Cntr", "Voltage_Step",
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "Dst", "Kp",
)  # fmt: skip
#: AWA's rates columns after the team's 22 (their code selects rates columns by name).
RATES_EXTRA_COLUMNS = _columns("MLTH", "CSHK", "Quality")
RATES_COLUMNS = {**TEAM_RATES_COLUMNS, **RATES_EXTRA_COLUMNS}

#: Bits of the rates ``Quality`` column (0 = clean spin).
QUALITY_BAD_PERIOD = 1  # inside a bad-period table entry (its PHA is not in the science store)
QUALITY_RATE_RELATION = 2  # violates R_n <= BR_n, BR0+BR1+BR2 <= DCR or BR2 <= TCR
QUALITY_L_FILL = 4  # L was the archive's fill value
#: The spin's own time stamp repeated an earlier one, went backwards or was clipped; its time was
#: rebuilt from the cycle structure (cycle start + position x spin period; spec section 2).
QUALITY_TIME_REBUILT = 8

#: Exactly the team's HK columns (their app inserts MLTH itself and indexes by position).
#: (PAPS_lvl is int32 in the team's HK table, int8 elsewhere; the order is unchanged.)
HK_COLUMNS = {**_columns(*_CONTEXT_NAMES, "MAGLAT", "MAGLON", "Dst", "Kp"), "PAPS_lvl": "int32"}
#: HK values AWA keeps beside the team's table (``/awa/columns/<name>``).
HK_EXTRAS = _columns("MLTH", "CSHK")

#: ME column labels: the integers 0..511 (int32 counts), after ``L``.
ME_LABELS = tuple(range(N_ME))
#: The ME store's count columns by label (the integers, as in the team's store).
ME_COLUMN_NAMES = list(ME_LABELS)
ME_COLUMNS = _columns("SpinStartTime", "L")
ME_EXTRAS = _columns("CSHK")

PHA_STORE = StoreSpec(
    "AMPTE_CHEM_nocal_pha.h5",
    "ampte_pha",
    PHA_COLUMNS,
    ("SpinStartTime", "Energy"),
    "Pulse-height events of science spins (CSHK == 0), bad periods removed",
    index_levels=PHA_INDEX_LEVELS,
    data_columns=PHA_DATA_COLUMNS,
)
CAL_PHA_STORE = StoreSpec(
    "AMPTE_CHEM_cal_pha.h5",
    "ampte_pha",
    PHA_COLUMNS,
    ("SpinStartTime", "Energy"),
    "Pulse-height events of calibration spins (CSHK != 0)",
    index_levels=PHA_INDEX_LEVELS,
    data_columns=PHA_DATA_COLUMNS,
)
RATES_STORE = StoreSpec(
    "AMPTE_CHEM_rates_dst.h5",
    "ampte_rates",
    RATES_COLUMNS,
    ("SpinStartTime",),
    "One row per spin: direct and basic rates, PHA range counts, Dst and Kp",
    data_columns=tuple(RATES_COLUMNS),
)
HK_STORE = StoreSpec(
    "AMPTE_CHEM_hk_dst.h5",
    "ampte_hk",
    HK_COLUMNS,
    ("SpinStartTime",),
    "One row per cycle (cycle start time): housekeeping, orbit, Dst and Kp",
    data_columns=tuple(HK_COLUMNS),
    extras=HK_EXTRAS,
)
ME_STORE = StoreSpec(
    "AMPTE_CHEM_me.h5",
    "ampte_me",
    ME_COLUMNS,
    ("index",),
    "One row per cycle (cycle start time): L and matrix-element counts 0..511",
    index_levels=("SpinStartTime",),
    data_columns=("L",),
    extras=ME_EXTRAS,
    labels=ME_LABELS,
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

#: Group of the AWA arrays kept beside a team table, row for row (``StoreSpec.extras``).
EXTRAS_GROUP = "/awa/columns"

# ---------------------------------------------------------------------------------------
# Units: written into every store by the build, read back by the app
# ---------------------------------------------------------------------------------------

#: Units of every store column (column -> units text), from :data:`QUANTITIES`.
UNITS: dict[str, str] = {q.name: q.units for q in QUANTITIES.values() if q.stored}
#: Attribute of a store's table node holding the JSON of its columns' units.
UNITS_ATTR = "awa_units"


def store_units(spec: StoreSpec) -> dict[str, str]:
    """The units of a store's columns, as the build writes them (column -> units text).

    Parameters
    ----------
    spec : StoreSpec
        The store (one of :data:`STORES`).
    """
    names = [*spec.columns, *(str(i) for i in spec.labels)]
    return {column: UNITS.get(column, "") for column in names}


# ---------------------------------------------------------------------------------------
# Kp activity classes (display colours of the app's timeline and the atlas)
# ---------------------------------------------------------------------------------------

#: Kp at and above which the activity is "active" (below: quiet).
KP_ACTIVE = 4.0
#: Kp at and above which the activity is a storm.
KP_STORM = 5.0
#: Colours of the quiet, active and storm classes: plain hex strings (plotly, matplotlib).
KP_COLOURS = ("#2ca02c", "#ffbf00", "#d62728")


def kp_colours(kp: npt.ArrayLike) -> list[str]:
    """Colour of each Kp value by activity: quiet (< 4), active (4 to < 5), storm (>= 5).

    Parameters
    ----------
    kp : array_like
        Kp values (decimal, 0-9); NaN counts as quiet.

    Returns
    -------
    list of str
        One of :data:`KP_COLOURS` per value.
    """
    values = np.nan_to_num(np.asarray(kp, dtype=np.float64).ravel())
    classes = (values >= KP_ACTIVE).astype(np.int64) + (values >= KP_STORM)
    return [KP_COLOURS[c] for c in classes]
