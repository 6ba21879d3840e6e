"""What reading one daily file gives: :class:`DayData`, :class:`Quirks`, :class:`BadFileError`.

The column tables of the typed result (spec section 2) and the counters of the archive's
quirks live here; :mod:`data_build.fits` fills them and re-exports every name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt
import pandas as pd

from data_build.fits_layout import HDUS
from data_build.fits_times import content_keys

__all__ = [
    "BadFileError",
    "DayData",
    "Quirks",
    "REQUIRED_COLUMNS",
    "SPIN_COLUMNS",
    "CYCLE_COLUMNS",
    "EVENT_COLUMNS",
    "VALID_PAPS_LEVELS",
    "concat_days",
]

#: Columns of each extension the reader needs (``SCHK`` raw status bytes are not used).
REQUIRED_COLUMNS: dict[int, tuple[str, ...]] = {
    spec.index: tuple(name for name in spec.columns if name != "SCHK") for spec in HDUS
}

#: Output columns and dtypes of :attr:`DayData.spins`.
SPIN_COLUMNS: dict[str, str] = {
    "TT": "int64",
    "SpinStartTime": "datetime64[ns]",
    "clipped": "bool",
    "L": "float32",
    "Voltage_Step": "int8",
    "Period_Cntr": "int16",
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
    "cycle": "int32",
    "duplicate": "bool",
    "out_of_order": "bool",
    "rate_ok": "bool",
    "time_rebuilt": "bool",
    "data_key": "uint64",
}

#: Output columns and dtypes of :attr:`DayData.cycles`.
CYCLE_COLUMNS: dict[str, str] = {
    "ST": "int64",
    "CycleStartTime": "datetime64[ns]",
    "MAGLAT": "float32",
    "MAGLON": "float32",
    "MLTH": "float32",
    "CSHK": "int16",
    "DPU_Mode": "int8",
    "TAC_Slope": "int8",
    "PHA_Priority": "int16",
    "PAPS_lvl": "int8",
}

#: Output columns and dtypes of :attr:`DayData.events`.
EVENT_COLUMNS: dict[str, str] = {
    "spin": "int32",
    "Energy": "int16",
    "TOF": "int16",
    "Sector": "int8",
    "SSDID": "int8",
    "Range": "int8",
}

#: HK column -> output column.
#: Valid PAPS levels (spec section 2); other levels have no post-acceleration voltage.
VALID_PAPS_LEVELS = (1, 2, 3, 4, 5, 6)


class BadFileError(Exception):
    """A daily FITS file that cannot be used.

    Parameters
    ----------
    path : str
        The file (or ``"<memory>"`` for an in-memory HDU list).
    reason : str
        What is wrong, in words.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{os.path.basename(self.path)}: {self.reason}"


@dataclass
class Quirks:
    """What the reader met in one file and how often (counts; spec section 2).

    Attributes
    ----------
    n_spins, n_cycles, n_events
        Rows of HDU 4, rows of HDU 1-3, non-empty PHA slots.
    clipped_times
        Spins whose whole-second ``TT`` is <= 0 or >= 1990-01-01 (as stored in the file).
    l_fill
        Spins whose L is missing (fill 0x00100000, anything below 1, or NaN).
    duplicate_spins
        Spins, not exact copies, whose non-clipped ``TT`` equals an earlier such spin's.
    out_of_order_spins
        Spins kept with their own time although an earlier row has a later one (sorted into
        place by the build).
    exact_copies
        Spins byte-identical to an earlier row (time and data): dropped.
    times_rebuilt
        Spins whose repeated, backwards or clipped time was rebuilt from the cycle structure
        (:mod:`data_build.fits_times`): kept, flagged.
    clipped_excluded
        Spins with a clipped time their cycle cannot rebuild: excluded.
    float32_times
        Spins whose ``TT`` column is stored as float32 (64 s steps at the mission's dates):
        the cause of repeated times when non-zero.
    calibration_cycles
        Cycles with ``CSHK != 0``.
    empty_pha_slots
        PHA slots whose five words are all zero (dropped).
    rate_violations
        Spins breaking R_n <= BR_n, BR0 + BR1 + BR2 <= DCR or BR2 <= TCR.
    tof_1019, ssdid_invalid, range3
        Events on the TOF artefact channel (``TOF_ARTEFACT``), SSDID not in 1-3,
        Range == 3 (kept, filtered later).
    invalid_paps
        Cycles whose PAPS level is not 1-6 (no valid post-acceleration voltage).
    """

    n_spins: int = 0
    n_cycles: int = 0
    n_events: int = 0
    clipped_times: int = 0
    l_fill: int = 0
    duplicate_spins: int = 0
    out_of_order_spins: int = 0
    calibration_cycles: int = 0
    empty_pha_slots: int = 0
    rate_violations: int = 0
    tof_1019: int = 0
    ssdid_invalid: int = 0
    range3: int = 0
    invalid_paps: int = 0
    exact_copies: int = 0
    times_rebuilt: int = 0
    clipped_excluded: int = 0
    float32_times: int = 0

    def as_dict(self) -> dict[str, int]:
        """All counters by name, as plain ``int``."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}

    def __add__(self, other: Quirks) -> Quirks:
        if not isinstance(other, Quirks):
            return NotImplemented
        return Quirks(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass
class DayData:
    """The content of one daily file, typed (columns: :data:`SPIN_COLUMNS`, etc.).

    Attributes
    ----------
    source : str
        File basename (``"<memory>"`` when parsed from memory).
    spins : pandas.DataFrame
        One row per spin in file order; row ``i`` belongs to cycle ``i // 32``.  ``clipped``
        marks spins excluded for a clipped time that could not be rebuilt, ``duplicate``
        exact copies of an earlier row (both left out of the stores), ``time_rebuilt`` spins
        whose ``TT`` was rebuilt from the cycle structure, ``data_key`` a 64-bit key of the
        spin's data other than its time (equal data, equal key).
    cycles : pandas.DataFrame
        One row per cycle in file order.
    me : numpy.ndarray
        Matrix-element counts, shape (n_cycles, 512), int32, counts per cycle.
    events : pandas.DataFrame
        One row per non-empty PHA slot, ordered by (spin row, slot); ``spin`` is the spin row.
    quirks : Quirks
        Counts of everything unusual the reader met.
    notes : list of str
        What the reader read beyond the layout or ignored (a second gzip member, extra HDUs,
        astropy's warnings), in words.
    """

    source: str
    spins: pd.DataFrame
    cycles: pd.DataFrame
    me: npt.NDArray[np.int32]
    events: pd.DataFrame
    quirks: Quirks
    notes: list[str] = field(default_factory=list)


def concat_days(parts: list[DayData]) -> DayData:
    """One :class:`DayData` from several parsed parts of one file (e.g. gzip members), in order.

    Spins of a later part with the same time and data as a spin of an earlier part are marked
    ``duplicate`` (exact copies, dropped by the build) and counted in ``exact_copies``.
    """
    if len(parts) == 1:
        return parts[0]
    spins, events, cycles = [], [], []
    n_spins = n_cycles = 0
    quirks = Quirks()
    for part in parts:
        sp = part.spins.copy()
        sp["cycle"] = (sp["cycle"].to_numpy() + n_cycles).astype(np.int32)
        ev = part.events.copy()
        ev["spin"] = (ev["spin"].to_numpy() + n_spins).astype(np.int32)
        spins.append(sp)
        events.append(ev)
        cycles.append(part.cycles)
        n_spins += len(sp)
        n_cycles += len(part.cycles)
        quirks = quirks + part.quirks
    all_spins = pd.concat(spins, ignore_index=True)
    part_of = np.repeat(np.arange(len(parts)), [len(sp) for sp in spins])
    keys = content_keys([all_spins["TT"].to_numpy(), all_spins["data_key"].to_numpy()])
    kept = ~(all_spins["clipped"].to_numpy() | all_spins["duplicate"].to_numpy())
    rows = np.flatnonzero(kept)
    _, first = np.unique(keys[rows], return_index=True)
    again = np.zeros(len(all_spins), dtype=bool)
    again[rows] = True
    again[rows[first]] = False
    again &= part_of > 0
    all_spins.loc[again, "duplicate"] = True
    quirks.exact_copies += int(again.sum())
    return DayData(
        source=parts[0].source,
        spins=all_spins,
        cycles=pd.concat(cycles, ignore_index=True),
        me=np.concatenate([p.me for p in parts]).astype(np.int32),
        events=pd.concat(events, ignore_index=True),
        quirks=quirks,
        notes=[note for p in parts for note in p.notes],
    )
