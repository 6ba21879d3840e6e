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

__all__ = ["data_columns", "store_metadata"]

_COMPLIB: Any = "blosc:zstd"  # pandas-stubs lists only the base library names
_COMPLEVEL = 5


def data_columns(spec: schema.StoreSpec) -> list[str]:
    """Columns queryable in a store's ``where``: all, but for ME only its few context columns."""
    return list(schema.ME_DATA_COLUMNS) if spec is schema.ME_STORE else list(spec.columns)


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
        df.index = pd.RangeIndex(self.rows, self.rows + len(df))
        self.store.append(
            self.spec.key,
            df,
            format="table",
            data_columns=self.data_columns,
            index=False,
            expectedrows=self.expectedrows,
        )
        self.rows += len(df)

    def close(self) -> None:
        self.store.close()


def _finish_store(
    path: Path,
    spec: schema.StoreSpec,
    was_sorted: bool,
    attrs: dict[str, str],
    hours: np.ndarray,
) -> None:
    """Sort globally (when needed), build full indexes, the hour index and metadata."""
    with tables.open_file(path, mode="a") as h5:
        if spec.key not in h5.root:
            return
        group = h5.get_node(h5.root, spec.key)
        table = group.table
        if not was_sorted:
            table.cols.SpinStartTime.create_csindex()
            table.rename("unsorted")
            table.copy(group, "table", sortby="SpinStartTime", checkCSI=True, propindexes=False)
            h5.remove_node(group, "unsorted")
            table = group.table
            hours = hour_index.scan_hour_index(table)
        hour_index.write_hour_index(h5, hours, int(table.nrows))
        for col in spec.indexed:
            column = getattr(table.cols, col)
            if column.index is not None:
                column.remove_index()
            column.create_csindex()
        for name, value in attrs.items():
            table.attrs[name] = value


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
    one = pd.DataFrame({c: np.zeros(1, dtype=d) for c, d in spec.columns.items()})
    with pd.HDFStore(path, mode="w", complevel=_COMPLEVEL, complib=_COMPLIB) as store:
        store.put(
            spec.key,
            one,
            format="table",
            data_columns=data_columns(spec),
            index=False,
            track_times=False,
        )
    with tables.open_file(path, mode="a") as h5:
        h5.get_node(f"/{spec.key}/table").remove_rows(0, 1)
