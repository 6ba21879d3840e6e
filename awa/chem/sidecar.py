"""The column sidecar of the stores: one compressed, chunked array per column a scan needs.

The pandas stores keep whole rows (40 bytes per PHA event), so any read decompresses
every column.  The build therefore also writes :data:`awa.chem.schema.COLUMNS_FILE`, an HDF5
file beside the stores holding, in the row order of the stores:

``/pha/events/<column>``
    The event-level PHA columns :data:`awa.chem.schema.SIDECAR_EVENT_COLUMNS`, one row per row of
    the PHA store.
``/pha/runs/<column>``
    Run-length encoding of the spin-level PHA columns :data:`awa.chem.schema.SIDECAR_RUN_COLUMNS`:
    one row per maximal run of consecutive PHA rows in which all of them are equal (bit for
    bit), with ``start``, the first PHA row of the run.  Filters on these columns are
    evaluated once per run instead of once per event.
``/pha/events/mpq_code``
    Mass per charge of every event (spec section 4, :func:`awa.chem.physics.convert_events`),
    computed once by the build as a uint16 code of log10(M/Q) (:func:`mpq_code`, about 1.3
    bytes per event compressed).  A code stands for a known interval of M/Q
    (:func:`mpq_code_bounds`); the query layer bins codes with a look-up table and recomputes
    exactly only the few events whose code straddles a bin edge.  Mass needs no column: it is
    a function of the Energy and TOF channels alone.  Sidecars written before this column
    exist (``has_mpq_code`` is then False and M/Q is computed per request).
``/rates/<column>``
    The rates columns :data:`awa.chem.schema.SIDECAR_RATES_COLUMNS`, one row per rates row.

Every sorted int64 column ``X`` used for look-ups has a sample ``X_sample`` (every
:data:`SAMPLE`-th value) so that a bound is found with one small read.  The file's
attributes record the row counts and build time of the stores it was made from; a sidecar
that does not match its stores is ignored (the query layer then reads the stores).  The
arrays are equal, value for value, to the store columns (tested).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.chem import physics, schema
from awa.chem.table_columns import coldtype, read_columns

#: Format version of the sidecar (attribute ``awa_columns_version``).
VERSION = 1
#: Elements per HDF5 chunk of the event and rates columns (also the read granularity).
CHUNK = 131_072
#: Sorted look-up columns keep every SAMPLE-th value in ``<name>_sample``.
SAMPLE = 4096
#: Compression: chosen by measurement (bench/README.md); LZ4 with byte shuffle decodes the
#: four event columns at about 130M events/s on one core, 2.9 bytes per event.
FILTERS = tables.Filters(complevel=5, complib="blosc:lz4", shuffle=True)


#: The M/Q code (``/pha/events/mpq_code``): code 0 is NaN (no valid M/Q), code 1 every M/Q
#: below ``10**MPQ_LOG_MIN`` (0 included), code ``MPQ_CODES - 1`` every M/Q at or above
#: ``10**MPQ_LOG_MAX``; codes 2 to ``MPQ_CODES - 2`` split the decades between evenly in
#: log10 (7.6e-5 decade each, 0.018 %).  Its version is the attribute ``mpq_code_version``.
MPQ_LOG_MIN = -2.0
MPQ_LOG_MAX = 3.0
MPQ_CODES = 65536
MPQ_CODE_VERSION = 1
_MPQ_STEP = (MPQ_LOG_MAX - MPQ_LOG_MIN) / (MPQ_CODES - 3)
#: Relative widening of a code's interval that covers the rounding of log10 and power.
_MPQ_SLACK = 1e-9


def mpq_code(mpq: npt.ArrayLike) -> npt.NDArray[np.uint16]:
    """The uint16 code of M/Q values (amu/e): see :data:`MPQ_LOG_MIN`.

    Parameters
    ----------
    mpq : array_like, shape (n,)
        M/Q in amu/e (NaN allowed) from :func:`awa.chem.physics.mass_per_charge`.

    Returns
    -------
    numpy.ndarray of uint16, shape (n,)
        The codes; ``mpq_code_bounds()[c]`` holds every value coded ``c``.
    """
    v = np.asarray(mpq, dtype=np.float64)
    code = np.zeros(v.shape, dtype=np.int64)
    finite = np.isfinite(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.floor((np.log10(np.where(finite & (v > 0), v, 1.0)) - MPQ_LOG_MIN) / _MPQ_STEP)
    code[finite] = np.clip(steps[finite], -1, MPQ_CODES - 3).astype(np.int64) + 2
    code[finite & (v <= 0)] = 1
    code[np.isposinf(v)] = MPQ_CODES - 1
    return code.astype(np.uint16)


def mpq_code_bounds() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Closed intervals ``[low[c], high[c]]`` (amu/e) that hold every M/Q coded ``c``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray), each shape (MPQ_CODES,)
        Lower and upper bounds, widened by a relative 1e-9 against rounding; code 0 (NaN)
        has NaN bounds, code 1 starts at -inf and the last code ends at +inf.
    """
    k = np.arange(MPQ_CODES, dtype=np.float64) - 2.0
    low = 10.0 ** (MPQ_LOG_MIN + k * _MPQ_STEP) * (1.0 - _MPQ_SLACK)
    high = 10.0 ** (MPQ_LOG_MIN + (k + 1.0) * _MPQ_STEP) * (1.0 + _MPQ_SLACK)
    low[1], high[1] = -np.inf, 10.0**MPQ_LOG_MIN * (1.0 + _MPQ_SLACK)
    high[-1] = np.inf
    low[0] = high[0] = np.nan
    return low, high


def event_mpq_code(rows: dict[str, npt.NDArray[Any]]) -> npt.NDArray[np.uint16]:
    """M/Q codes of PHA rows (``Energy``, ``TOF``, ``Voltage_Step``, ``PAPS_lvl`` columns).

    M/Q depends on these four values only, and the events of a chunk share few combinations
    of them (about 50,000 in 2 million events), so each combination is converted once.
    """
    names = ("Energy", "TOF", "Voltage_Step", "PAPS_lvl")
    key = np.zeros(len(rows["Energy"]), dtype=np.int64)
    for name in names:  # the bit patterns, 16 bits each
        v = np.asarray(rows[name])
        if v.dtype.kind not in "iu" or v.dtype.itemsize > 2:
            return mpq_code(physics.convert_events(*(rows[n] for n in names))["mpq"])
        key = (key << 16) | v.view(f"u{v.dtype.itemsize}").astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    mpq = physics.convert_events(*(np.asarray(rows[n])[first] for n in names))["mpq"]
    return mpq_code(mpq)[inverse.ravel()]


class ColumnsError(RuntimeError):
    """The column sidecar cannot be written from the given stores."""


# ---------------------------------------------------------------------------------------
# Writing (the build)
# ---------------------------------------------------------------------------------------


def _bits(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Values as integers of the same width (floats compared bit for bit: NaN == NaN)."""
    if values.dtype.kind == "f":
        return values.view(np.int32 if values.itemsize == 4 else np.int64)
    if values.dtype.kind == "M":
        return values.view(np.int64)
    return values


def _earray(h5: tables.File, where: str, name: str, dtype: np.dtype[Any], rows: int) -> Any:
    return h5.create_earray(
        where, name, atom=tables.Atom.from_dtype(np.dtype(dtype)), shape=(0,),
        filters=FILTERS, chunkshape=(CHUNK,), expectedrows=max(rows, 1),
        createparents=True,
    )  # fmt: skip


def _build_attrs(table: tables.Table) -> str:
    attrs = table.attrs
    return str(attrs["awa_build_time"]) if "awa_build_time" in attrs._v_attrnames else ""


def _write_samples(h5: tables.File, where: str, name: str) -> None:
    node = h5.get_node(f"{where}/{name}")
    sample = np.asarray(node[::SAMPLE], dtype=np.int64)
    arr = h5.create_earray(where, f"{name}_sample", atom=tables.Int64Atom(), shape=(0,))
    if len(sample):
        arr.append(sample)


def write_columns(
    pha_path: str | os.PathLike[str],
    rates_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    chunk_rows: int = 2_000_000,
) -> dict[str, int]:
    """Write the column sidecar of a (sorted) PHA store and rates store.

    Parameters
    ----------
    pha_path, rates_path : path
        The finished PHA and rates stores (``awa.chem.schema.PHA_STORE``, ``RATES_STORE``).
    out_path : path
        The sidecar file to write (replaced).
    chunk_rows : int
        Store rows read at a time (bounds memory).

    Returns
    -------
    dict
        Rows written: ``events``, ``runs`` and ``rates``.
    """
    out = Path(out_path)
    with (
        tables.open_file(str(pha_path), mode="r") as pha_h5,
        tables.open_file(str(rates_path), mode="r") as rates_h5,
        tables.open_file(str(out), mode="w", title="AWA column sidecar") as h5,
    ):
        try:
            pha = pha_h5.get_node(f"/{schema.PHA_STORE.key}/table")
            rates = rates_h5.get_node(f"/{schema.RATES_STORE.key}/table")
        except tables.NoSuchNodeError as exc:
            raise ColumnsError(f"store without its table: {exc}") from None
        n_pha, n_rates = int(pha.nrows), int(rates.nrows)
        pha_names = [*schema.SIDECAR_EVENT_COLUMNS, *schema.SIDECAR_RUN_COLUMNS]
        ev_nodes = {
            c: _earray(h5, "/pha/events", c, coldtype(pha, c), n_pha)
            for c in schema.SIDECAR_EVENT_COLUMNS
        }
        run_nodes = {
            c: _earray(h5, "/pha/runs", c, coldtype(pha, c), n_pha // 40)
            for c in schema.SIDECAR_RUN_COLUMNS
        }
        run_nodes["start"] = _earray(h5, "/pha/runs", "start", np.dtype(np.int64), n_pha // 40)
        code_node = _earray(h5, "/pha/events", "mpq_code", np.dtype(np.uint16), n_pha)
        previous: dict[str, Any] | None = None
        n_runs = 0
        last_time = None
        for c0 in range(0, n_pha, chunk_rows):
            rows = read_columns(pha, pha_names, c0, min(c0 + chunk_rows, n_pha))
            for c, node in ev_nodes.items():
                node.append(rows[c])
            code_node.append(event_mpq_code(rows))
            change = np.zeros(len(rows["SpinStartTime"]), dtype=bool)
            for c in schema.SIDECAR_RUN_COLUMNS:
                bits = _bits(rows[c])
                change[1:] |= bits[1:] != bits[:-1]
                change[0] |= previous is None or bits[0] != previous[c]
            times = rows["SpinStartTime"].astype(np.int64)
            if (last_time is not None and times[0] < last_time) or np.any(np.diff(times) < 0):
                raise ColumnsError(f"{pha_path} is not sorted by SpinStartTime")
            last_time = times[-1]
            first = np.flatnonzero(change)
            for c in schema.SIDECAR_RUN_COLUMNS:
                run_nodes[c].append(rows[c][first])
            run_nodes["start"].append(first.astype(np.int64) + c0)
            n_runs += len(first)
            previous = {c: _bits(rows[c][-1:])[0] for c in schema.SIDECAR_RUN_COLUMNS}
        rate_nodes = {
            c: _earray(h5, "/rates", c, coldtype(rates, c), n_rates)
            for c in schema.SIDECAR_RATES_COLUMNS
        }
        for c0 in range(0, n_rates, chunk_rows):
            rows = read_columns(
                rates, schema.SIDECAR_RATES_COLUMNS, c0, min(c0 + chunk_rows, n_rates)
            )
            for c, node in rate_nodes.items():
                node.append(rows[c])
        _write_samples(h5, "/pha/runs", "start")
        _write_samples(h5, "/rates", "SpinStartTime")
        attrs = h5.root._v_attrs
        attrs["awa_columns_version"] = VERSION
        attrs["mpq_code_version"] = MPQ_CODE_VERSION
        attrs["pha_nrows"] = n_pha
        attrs["pha_runs"] = n_runs
        attrs["rates_nrows"] = n_rates
        attrs["pha_build_time"] = _build_attrs(pha)
        attrs["rates_build_time"] = _build_attrs(rates)
    return {"events": n_pha, "runs": n_runs, "rates": n_rates}


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def matches(h5: tables.File, pha: tables.Table, rates: tables.Table) -> bool:
    """True when sidecar ``h5`` was written from these PHA and rates tables."""
    attrs = h5.root._v_attrs
    try:
        return bool(
            int(attrs["awa_columns_version"]) == VERSION
            and int(attrs["pha_nrows"]) == pha.nrows
            and int(attrs["rates_nrows"]) == rates.nrows
            and str(attrs["pha_build_time"]) == _build_attrs(pha)
            and str(attrs["rates_build_time"]) == _build_attrs(rates)
        )
    except KeyError:
        return False


def _lower_bound(node: Any, sample: npt.NDArray[np.int64], value: int) -> int:
    """First index ``i`` of sorted array ``node`` with ``node[i] >= value``."""
    n = int(node.nrows)
    j = int(np.searchsorted(sample, value, side="left"))
    if j == 0:
        return 0
    lo, hi = (j - 1) * SAMPLE, min(j * SAMPLE, n)
    block = np.asarray(node[lo:hi], dtype=np.int64)
    return lo + int(np.searchsorted(block, value, side="left"))


@dataclass
class Sidecar:
    """An open, validated column sidecar (read-only)."""

    h5: tables.File

    def __post_init__(self) -> None:
        self._samples: dict[str, npt.NDArray[np.int64]] = {}

    def node(self, path: str) -> Any:
        """The array at ``path`` (e.g. ``/pha/events/TOF``)."""
        return self.h5.get_node(path)

    def sample(self, path: str) -> npt.NDArray[np.int64]:
        """The sample of the sorted array at ``path`` (kept in memory)."""
        if path not in self._samples:
            self._samples[path] = np.asarray(self.h5.get_node(f"{path}_sample").read())
        return self._samples[path]

    @property
    def has_mpq_code(self) -> bool:
        """True when the build stored M/Q codes (``/pha/events/mpq_code``) of this format."""
        attrs = self.h5.root._v_attrs
        return bool(
            "mpq_code_version" in attrs._v_attrnames
            and int(attrs["mpq_code_version"]) == MPQ_CODE_VERSION
            and "/pha/events/mpq_code" in self.h5
        )

    @property
    def n_runs(self) -> int:
        return int(self.node("/pha/runs/start").nrows)

    @property
    def n_events(self) -> int:
        return int(self.h5.root._v_attrs["pha_nrows"])

    def run_of_row(self, row: int) -> int:
        """First run whose first PHA row is >= ``row``."""
        return _lower_bound(self.node("/pha/runs/start"), self.sample("/pha/runs/start"), row)

    def rates_row(self, t_ns: int) -> int:
        """First rates row whose ``SpinStartTime`` is >= ``t_ns``."""
        path = "/rates/SpinStartTime"
        return _lower_bound(self.node(path), self.sample(path), t_ns)

    def read(
        self, group: str, names: tuple[str, ...] | list[str], lo: int, hi: int
    ) -> dict[str, npt.NDArray[Any]]:
        """Columns ``names`` of ``group`` (``pha/events``, ``pha/runs``, ``rates``), rows lo:hi."""
        return {n: self.node(f"/{group}/{n}")[lo:hi] for n in names}
