"""Filter masks over store rows, and the one join of spin rates onto PHA rows.

The masks take a structured array or a mapping of column arrays and return a boolean array;
:func:`join_rates` looks up the spin of each PHA time in the rates store (or in the column
sidecar's copy of it), applies the rate filters and returns the joined rate values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import tables

from awa.chem import schema, sidecar
from awa.model import Selection
from awa.query.store import FloatArray, bisect_time

#: Rows of the rates store read beyond a chunk's spins, so that whole sweeps are seen.
SWEEP_MARGIN = 130
#: Rates columns joined onto PHA events.
RATE_JOIN = ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "Dst", "Kp")


def in_range(values: npt.NDArray[Any], bounds: tuple[float, float]) -> npt.NDArray[np.bool_]:
    """Values inside the closed interval ``bounds``."""
    return (values >= bounds[0]) & (values <= bounds[1])


#: Spin-level PHA columns the filters read (constant within a spin).
CONTEXT_COLUMNS = (
    "L", "Voltage_Step", "MLTH", "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority",
)  # fmt: skip
#: Event-level PHA columns the filters read.
DETECTOR_COLUMNS = ("SSDID", "Range", "Energy", "TOF")
#: Rates columns the rate filters read (:func:`spin_mask`).
RATE_FILTER_COLUMNS = (
    "Dst", "Kp", "BR0", "BR1", "BR2", "DCR", "TCR", "R0", "R1", "R2", "Period_Cntr",
    "Voltage_Step", "FSR", "SSD",
)  # fmt: skip


def context_mask(rows: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows passing the spin-level filters of ``sel`` (``CONTEXT_COLUMNS``).

    ``rows`` is a structured array or a mapping of column arrays.
    """
    mask = np.ones(len(rows["L"]), dtype=bool)
    if sel.l_range is not None:
        mask &= in_range(rows["L"], sel.l_range)
    if sel.vstep_range is not None:
        mask &= in_range(rows["Voltage_Step"], sel.vstep_range)
    if sel.mlt_range is not None:
        lo, hi = sel.mlt_range
        mlt = rows["MLTH"]
        if lo <= hi:
            mask &= (mlt >= lo) & (mlt <= hi)
        else:
            mask &= (mlt >= lo) | (mlt <= hi)
    for column, allowed in (
        ("PAPS_lvl", sel.paps_levels),
        ("DPU_Mode", sel.dpu_modes),
        ("TAC_Slope", sel.tac_slopes),
        ("PHA_Priority", sel.pha_priorities),
    ):
        if allowed is not None:
            mask &= np.isin(rows[column], np.asarray(allowed))
    return mask


def _all_of(
    tests: list[Callable[[npt.NDArray[Any]], Any]],
) -> Callable[[npt.NDArray[Any]], Any]:
    def test(values: npt.NDArray[Any]) -> Any:
        return np.logical_and.reduce([t(values) for t in tests])

    return test


def _below4(values: npt.NDArray[Any]) -> Any:
    return values < 4


def _not3(values: npt.NDArray[Any]) -> Any:
    return values != 3


def _positive(values: npt.NDArray[Any]) -> Any:
    return values > 0


def _not_artefact(values: npt.NDArray[Any]) -> Any:
    return values != schema.TOF_ARTEFACT


def detector_tests(sel: Selection) -> dict[str, Callable[[npt.NDArray[Any]], Any]]:
    """The event-level filters of ``sel``, one test per ``DETECTOR_COLUMNS`` column.

    Each test maps a column's values to a boolean array; an event passes when every test
    passes (:func:`detector_mask`).  A column without a filter is absent.
    """
    ssd: list[Callable[[npt.NDArray[Any]], Any]] = []
    rng: list[Callable[[npt.NDArray[Any]], Any]] = []
    if sel.ssd_ids is not None:
        ssd.append(functools.partial(np.isin, test_elements=np.asarray(sel.ssd_ids)))
    if sel.reject_ssd_high:
        ssd.append(_below4)
    if sel.pha_ranges is not None:
        rng.append(functools.partial(np.isin, test_elements=np.asarray(sel.pha_ranges)))
    if sel.reject_range3:
        rng.append(_not3)
    tests: dict[str, Callable[[npt.NDArray[Any]], Any]] = {}
    for column, parts in (("SSDID", ssd), ("Range", rng)):
        if parts:
            tests[column] = _all_of(parts)
    if sel.triples_only:
        tests["Energy"] = _positive
    if sel.reject_tof1019:
        tests["TOF"] = _not_artefact
    return tests


def detector_mask(rows: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows passing the event-level filters of ``sel`` (``DETECTOR_COLUMNS``)."""
    mask = np.ones(len(rows["TOF"]), dtype=bool)
    for column, test in detector_tests(sel).items():
        mask &= test(rows[column])
    return mask


def detector_tables(sel: Selection) -> dict[str, npt.NDArray[np.uint8]]:
    """The tests of :func:`detector_tests` as look-up tables, one per ``DETECTOR_COLUMNS``.

    The table of a column holds 1 where a value passes, indexed by the value's unsigned bit
    pattern (``Energy``, ``TOF``: int16, 65,536 entries; ``SSDID``, ``Range``: int8, 256),
    so ``table[values.view(unsigned)]`` equals the test; a column without a filter gets an
    all-ones table.
    """
    tests = detector_tests(sel)
    out: dict[str, npt.NDArray[np.uint8]] = {}
    for column in DETECTOR_COLUMNS:
        dtype = np.dtype(schema.PHA_COLUMNS[column])
        values = np.arange(2 ** (8 * dtype.itemsize), dtype=f"u{dtype.itemsize}").view(dtype)
        test = tests.get(column)
        ok = np.ones(len(values), dtype=bool) if test is None else np.asarray(test(values))
        out[column] = ok.astype(np.uint8)
    return out


def event_mask(rows: npt.NDArray[Any], sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows (structured array) passing the event-level filters of ``sel``."""
    return context_mask(rows, sel) & detector_mask(rows, sel)


def spin_mask(rates: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of rates rows (spins, structured array in time order) passing ``sel``'s rate filters.

    Dst and Kp ranges, then every relation of :func:`rate_relations`.  The sweep filter
    numbers sweeps by counting ``Period_Cntr == 0`` along the rows given, so ``rates``
    should extend a sweep length beyond the spins of interest.
    """
    mask = np.ones(len(rates["Kp"]), dtype=bool)
    if sel.dst_range is not None:
        mask &= in_range(rates["Dst"], sel.dst_range)
    if sel.kp_range is not None:
        mask &= in_range(rates["Kp"], sel.kp_range)
    for passed in rate_relations(rates, sel).values():
        mask &= passed
    return mask


#: Names of the rate relations of :func:`rate_relations`, in the order they are tested.
RATE_RELATIONS = ("sum BR <= DCR", "BR2 <= TCR", "R_n <= BR_n", "BR maximums", "sweep filter")


def rate_relations(rates: Any, sel: Selection) -> dict[str, npt.NDArray[np.bool_]]:
    """Per rate relation switched on in ``sel``, which spins pass it (True: kept).

    Parameters
    ----------
    rates : structured array or mapping of arrays
        Rates rows in time order: BR0-2, R0-2, DCR, TCR (counts/spin), and for the sweep
        filter ``Period_Cntr``, ``Voltage_Step`` and the tested rate.
    sel : Selection
        The relations: BR0 + BR1 + BR2 <= DCR, BR2 <= TCR, R_n <= BR_n (n = 0, 1, 2),
        BR_n <= its maximum, and the sweep filter (a whole sweep, counted by
        ``Period_Cntr == 0``, is dropped when its rate exceeds the limit at the step).

    Returns
    -------
    dict
        Name (:data:`RATE_RELATIONS`) -> bool array, one per row; only relations that are on.
    """
    out: dict[str, npt.NDArray[np.bool_]] = {}
    br = [np.asarray(rates[f"BR{n}"]).astype(np.int64) for n in range(3)]
    if sel.sum_br_le_dcr:
        out["sum BR <= DCR"] = br[0] + br[1] + br[2] <= rates["DCR"]
    if sel.br2_le_tcr:
        out["BR2 <= TCR"] = br[2] <= rates["TCR"]
    if sel.rn_le_brn:
        out["R_n <= BR_n"] = (
            (rates["R0"] <= br[0]) & (rates["R1"] <= br[1]) & (rates["R2"] <= br[2])
        )
    limits = (sel.max_br0, sel.max_br1, sel.max_br2)
    if any(v is not None for v in limits):
        ok = np.ones(len(br[0]), dtype=bool)
        for n, limit in enumerate(limits):
            if limit is not None:
                ok &= br[n] <= limit
        out["BR maximums"] = ok
    if sel.sweep is not None:
        sweep_id = np.cumsum(rates["Period_Cntr"] == 0)
        hot = (rates["Voltage_Step"] == sel.sweep.step) & (rates[sel.sweep.rate] > sel.sweep.limit)
        out["sweep filter"] = ~np.isin(sweep_id, np.unique(sweep_id[hot]))
    return out


# ---------------------------------------------------------------------------------------
# The rate join
# ---------------------------------------------------------------------------------------


class RatesSource(Protocol):
    """Where :func:`join_rates` reads spins: the rates store or the column sidecar."""

    @property
    def nrows(self) -> int:
        """Rows (spins) of the rates table."""

    def row(self, t_ns: int) -> int:
        """First row whose ``SpinStartTime`` is >= ``t_ns``."""

    def read(self, fields: list[str], lo: int, hi: int) -> Mapping[str, npt.NDArray[Any]]:
        """Columns ``fields`` (``SpinStartTime`` first) of rows ``[lo, hi)``."""


class StoreRates:
    """The rates table of the store as a :class:`RatesSource` (whole rows are read)."""

    def __init__(self, table: tables.Table) -> None:
        self.table = table

    @property
    def nrows(self) -> int:
        """Rows (spins) of the rates table."""
        return int(self.table.nrows)

    def row(self, t_ns: int) -> int:
        """First row at or after ``t_ns`` (bisection)."""
        return bisect_time(self.table, t_ns)

    def read(self, fields: list[str], lo: int, hi: int) -> Mapping[str, npt.NDArray[Any]]:
        """Rows ``[lo, hi)``: one read of whole rows is faster than one per field."""
        rows: Mapping[str, npt.NDArray[Any]] = self.table.read(lo, hi)
        return rows


class SidecarRates:
    """The rates columns of the column sidecar as a :class:`RatesSource`."""

    def __init__(self, side: sidecar.Sidecar) -> None:
        self.side = side

    @property
    def nrows(self) -> int:
        """Rows (spins) of the rates table."""
        return int(self.side.node("/rates/SpinStartTime").nrows)

    def row(self, t_ns: int) -> int:
        """First row at or after ``t_ns`` (the sidecar's time index)."""
        return int(self.side.rates_row(t_ns))

    def read(self, fields: list[str], lo: int, hi: int) -> Mapping[str, npt.NDArray[Any]]:
        """Columns ``fields`` of rows ``[lo, hi)``."""
        return self.side.read("rates", fields, lo, hi)


def join_rates(
    source: RatesSource,
    times_ns: npt.NDArray[Any],
    sel: Selection,
    columns: tuple[str, ...] = (),
) -> tuple[npt.NDArray[np.bool_], dict[str, FloatArray]]:
    """Join the spin of each time onto it: rate-filter mask and rate values.

    Parameters
    ----------
    source : RatesSource
        The rates store (:class:`StoreRates`) or the column sidecar (:class:`SidecarRates`).
    times_ns : array of int64 ns (or datetime64[ns]), sorted
        ``SpinStartTime`` of PHA events or runs.
    sel : Selection
        The filters; its rate filters (:func:`spin_mask`) are applied when it has any.
    columns : tuple of str
        Rates columns to return per time.

    Returns
    -------
    ok : bool array
        True where the spin is in the rates store and passes the rate filters.
    values : dict
        ``columns`` per time, float64, NaN where the spin is absent.
    """
    times = np.asarray(times_ns)
    times = times.view(np.int64) if times.dtype.kind == "M" else times.astype(np.int64)
    if len(times) == 0:
        return np.zeros(0, dtype=bool), {c: np.zeros(0) for c in columns}
    lo = max(source.row(int(times[0])) - SWEEP_MARGIN, 0)
    hi = min(source.row(int(times[-1]) + 1) + SWEEP_MARGIN, source.nrows)
    need = set(columns)
    if sel.needs_rates:
        need |= set(RATE_FILTER_COLUMNS)
    rates = source.read(["SpinStartTime", *sorted(need)], lo, hi)
    rt = np.asarray(rates["SpinStartTime"])
    rt = rt.view(np.int64) if rt.dtype.kind == "M" else rt
    if len(rt) == 0:
        return np.zeros(len(times), dtype=bool), {c: np.full(len(times), np.nan) for c in columns}
    pos = np.minimum(np.searchsorted(rt, times), len(rt) - 1)
    found = rt[pos] == times
    ok = found.copy()
    if sel.needs_rates:
        ok &= spin_mask(rates, sel)[pos]
    values = {c: np.where(found, rates[c][pos].astype(np.float64), np.nan) for c in columns}
    return ok, values
