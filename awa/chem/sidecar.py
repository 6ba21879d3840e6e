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

from awa.chem import schema
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
        previous: dict[str, Any] | None = None
        n_runs = 0
        last_time = None
        for c0 in range(0, n_pha, chunk_rows):
            rows = read_columns(pha, pha_names, c0, min(c0 + chunk_rows, n_pha))
            for c, node in ev_nodes.items():
                node.append(rows[c])
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
