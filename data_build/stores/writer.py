"""Writing the HDF5 stores: append typed frames, sort, index, record metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tables

from awa.chem import hour_index, schema

__all__ = ["data_columns", "store_frame", "store_metadata"]

_COMPLIB: Any = "blosc:zstd"  # pandas-stubs lists only the base library names
_COMPLEVEL = 5


#: Group attribute pandas 2.x needs to read a table (pandas 3 no longer writes it; without
#: it pandas 2 takes the table for a pre-0.10.1 one and cannot find its value blocks).
_PANDAS_VERSION_ATTR = ("pandas_version", "0.15.2")


def data_columns(spec: schema.StoreSpec) -> list[str]:
    """Columns queryable in a store's ``where`` (spec section 7)."""
    return list(spec.data_columns)


def store_frame(spec: schema.StoreSpec, flat: pd.DataFrame) -> pd.DataFrame:
    """A flat frame (every column, index levels included) in the store's pandas layout.

    PHA: the 10-level MultiIndex and Energy, TOF, Range; ME: the DatetimeIndex
    ``SpinStartTime``, ``L`` and the integer labels; others: the columns as they are.
    AWA's extras (``spec.extras``) are left out.
    """
    names: list[str | int] = [*spec.columns, *spec.labels]
    frame = pd.DataFrame(
        {name: flat[name].to_numpy().astype(_dtype(spec, name)) for name in names},
        index=flat.index,
    )
    if spec.index_levels:
        frame = frame.set_index(list(spec.index_levels))
    return frame


def _dtype(spec: schema.StoreSpec, name: str | int) -> str:
    return spec.label_dtype if isinstance(name, int) else spec.columns[name]


class _StoreWriter:
    """Appends typed frames to one temporary store and remembers whether it stayed sorted."""

    def __init__(self, path: Path, spec: schema.StoreSpec, expectedrows: int) -> None:
        self.path = path
        self.spec = spec
        self.expectedrows = max(expectedrows, 1000)
        self.rows = 0
        self.last_time: np.datetime64 | None = None
        self.sorted = True
        self.hour_parts: list[np.ndarray] = []
        self.extra_parts: dict[str, list[np.ndarray]] = {name: [] for name in spec.extras}
        self.times: list[np.ndarray] = []
        self.store = pd.HDFStore(path, mode="w", complevel=_COMPLEVEL, complib=_COMPLIB)
        self.data_columns = data_columns(spec)

    def append(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        t = df["SpinStartTime"].to_numpy()
        if self.last_time is not None and t[0] < self.last_time:
            self.sorted = False
        self.last_time = t[-1] if self.last_time is None else max(self.last_time, t[-1])
        self.hour_parts.append(hour_index.hour_starts(t.astype(np.int64), self.rows))
        for name, dtype in self.spec.extras.items():
            self.extra_parts[name].append(df[name].to_numpy().astype(dtype))
        if self.spec.extras:
            self.times.append(t.astype(np.int64))
        df = df.set_axis(pd.RangeIndex(self.rows, self.rows + len(df)), axis=0)
        self.store.append(
            self.spec.key,
            store_frame(self.spec, df),
            format="table",
            data_columns=self.data_columns,
            index=False,
            expectedrows=self.expectedrows,
        )
        self.rows += len(df)

    def extras(self) -> dict[str, np.ndarray]:
        """AWA's extra arrays of the rows appended so far, in append order."""
        return {
            name: np.concatenate(parts) if parts else np.zeros(0, self.spec.extras[name])
            for name, parts in self.extra_parts.items()
        }

    def close(self) -> None:
        self.store.close()


def _sort_rows(h5: tables.File, group: Any, order: np.ndarray) -> tables.Table:
    """Rewrite ``group.table`` in row order ``order`` (attributes kept); return the new table."""
    table = group.table
    table.rename("unsorted")
    new = table.copy(group, "table", start=0, stop=0)
    step = 200_000
    for c0 in range(0, len(order), step):
        new.append(table.read_coordinates(order[c0 : c0 + step]))
    new.flush()
    h5.remove_node(group, "unsorted")
    return new


def _renumber(table: tables.Table, step: int = 1_000_000) -> None:
    """Write 0..n-1 into the ``index`` field of a re-sorted table (pandas reads a RangeIndex)."""
    for c0 in range(0, int(table.nrows), step):
        c1 = min(c0 + step, int(table.nrows))
        table.modify_column(c0, c1, column=np.arange(c0, c1, dtype=np.int64), colname="index")
    table.flush()


def _finish_store(
    path: Path,
    spec: schema.StoreSpec,
    was_sorted: bool,
    attrs: dict[str, str],
    hours: np.ndarray,
    extras: dict[str, np.ndarray] | None = None,
    times: np.ndarray | None = None,
) -> None:
    """Sort globally (when needed), build full indexes, the hour index, extras and metadata.

    ``extras`` (AWA's arrays, in append order) and ``times`` (their ``SpinStartTime``, int64
    ns) go with a store that has ``spec.extras``: a needed sort is then a stable argsort of
    ``times`` applied to the table and the extras alike, so they stay row for row.
    """
    extras = extras or {}
    field = spec.time_field
    with tables.open_file(path, mode="a") as h5:
        if spec.key not in h5.root:
            return
        group = h5.get_node(h5.root, spec.key)
        group._v_attrs[_PANDAS_VERSION_ATTR[0]] = _PANDAS_VERSION_ATTR[1]
        table = group.table
        if not was_sorted:
            if spec.extras and times is not None:
                order = np.argsort(times, kind="stable")
                table = _sort_rows(h5, group, order)
                extras = {name: values[order] for name, values in extras.items()}
            else:
                table.colinstances[field].create_csindex()
                table.rename("unsorted")
                table.copy(group, "table", sortby=field, checkCSI=True, propindexes=False)
                h5.remove_node(group, "unsorted")
                table = group.table
            hours = hour_index.scan_hour_index(table)
            if not spec.index_levels:
                _renumber(table)
        hour_index.write_hour_index(h5, hours, int(table.nrows))
        _write_extras(h5, spec, extras, int(table.nrows))
        for col in spec.indexed:
            column = table.colinstances[col]
            if column.index is not None:
                column.remove_index()
            column.create_csindex()
        for name, value in attrs.items():
            table.attrs[name] = value


def _write_extras(
    h5: tables.File, spec: schema.StoreSpec, extras: dict[str, np.ndarray], nrows: int
) -> None:
    """AWA's arrays ``/awa/columns/<name>``, one value per table row."""
    if not spec.extras:
        return
    group_path, name = schema.EXTRAS_GROUP.rsplit("/", 1)
    if schema.EXTRAS_GROUP not in h5:
        h5.create_group(group_path, name, "AWA values per table row", createparents=True)
    for column, dtype in spec.extras.items():
        values = extras.get(column, np.zeros(0, dtype))
        if len(values) != nrows:
            raise ValueError(f"{column}: {len(values)} values for {nrows} rows of {spec.key}")
        arr = h5.create_earray(
            schema.EXTRAS_GROUP,
            column,
            atom=tables.Atom.from_dtype(np.dtype(dtype)),
            shape=(0,),
            title=f"{column} of each row of /{spec.key}/table",
            filters=tables.Filters(complevel=5, complib="blosc:zstd"),
            expectedrows=max(nrows, 1),
        )
        if nrows:
            arr.append(np.asarray(values, dtype=dtype))


def store_metadata(path: str | os.PathLike[str], key: str) -> dict[str, Any]:
    """The AWA metadata attributes of a store's table (each stored as a JSON string)."""
    out: dict[str, Any] = {}
    with tables.open_file(str(path), mode="r") as h5:
        table = h5.get_node(f"/{key}/table")
        for name in table.attrs._v_attrnamesuser:
            if name.startswith("awa_"):
                value = table.attrs[name]
                out[name[4:]] = json.loads(str(value))
    return out


def _write_empty(path: Path, spec: schema.StoreSpec) -> None:
    """Give an empty store its (empty) table so readers see the schema and zero rows.

    pandas writes no table for an empty frame, so one placeholder row is written and removed.
    """
    one: dict[str | int, np.ndarray] = {c: np.zeros(1, dtype=d) for c, d in spec.columns.items()}
    one.update({c: np.zeros(1, dtype=spec.label_dtype) for c in spec.labels})
    flat = pd.DataFrame(one)
    with pd.HDFStore(path, mode="w", complevel=_COMPLEVEL, complib=_COMPLIB) as store:
        store.put(
            spec.key,
            store_frame(spec, flat),
            format="table",
            data_columns=data_columns(spec),
            index=False,
            track_times=False,
        )
    with tables.open_file(path, mode="a") as h5:
        h5.get_node(f"/{spec.key}/table").remove_rows(0, 1)
