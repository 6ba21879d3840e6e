"""Reading the stores' pandas tables with PyTables, by column name (spec section 7).

pandas (``HDFStore.append(..., format="table")``) writes each queryable column and each index
level as a PyTables field of its own name, the time of a lone DatetimeIndex as the field
``index``, and every other column inside ``values_block_<n>`` fields: 2-D blocks whose column
labels are the table attribute ``values_block_<n>_kind`` (``TOF`` and ``Range`` of the PHA
stores; the integers 0..511 of the ME store).  This module is the one place that decodes that
layout; no pandas, plain PyTables and NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.chem import schema

__all__ = [
    "block_labels",
    "coldtype",
    "field_map",
    "read_columns",
    "read_extras",
    "read_rows",
    "time_field",
]

#: Where a named column lives: (PyTables field, column within a values block or None).
Location = tuple[str, int | None]


def block_labels(table: tables.Table) -> dict[str, list[str]]:
    """Each ``values_block_<n>`` field of ``table`` and its column labels (as text), in order."""
    out = {}
    for name in table.colnames:
        if name.startswith("values_block_"):
            out[name] = [str(k) for k in table.attrs[f"{name}_kind"]]
    return out


def field_map(table: tables.Table) -> dict[str, Location]:
    """Column name (integer labels as text) -> where it lives in ``table``.

    The time of a lone DatetimeIndex (field ``index`` of kind datetime64) is named
    ``SpinStartTime``; a plain row-number ``index`` field is left out.
    """
    out: dict[str, Location] = {}
    for name in table.colnames:
        if name == "index":
            kind = str(table.attrs["index_kind"]) if "index_kind" in table.attrs else ""
            if kind.startswith("datetime64"):
                out["SpinStartTime"] = ("index", None)
        elif not name.startswith("values_block_"):
            out[name] = (name, None)
    for block, labels in block_labels(table).items():
        for j, label in enumerate(labels):
            out[label] = (block, j)
    return out


def time_field(table: tables.Table) -> str:
    """The PyTables field holding ``SpinStartTime`` (``index`` for the ME store)."""
    return field_map(table)["SpinStartTime"][0]


def coldtype(table: tables.Table, name: str) -> np.dtype[Any]:
    """NumPy dtype of column ``name`` (a block column has its block's base dtype)."""
    where, _ = field_map(table)[name]
    return np.dtype(table.coldtypes[where].base)


def _pick(rows: npt.NDArray[Any], where: Location) -> npt.NDArray[Any]:
    field, j = where
    values = rows[field]
    if j is None:
        return np.asarray(values)
    return np.ascontiguousarray(values.reshape(len(rows), -1)[:, j])


def read_columns(
    table: tables.Table, names: list[str] | tuple[str, ...], start: int, stop: int
) -> dict[str, npt.NDArray[Any]]:
    """Columns ``names`` of rows ``[start, stop)``, by one read of the fields they live in.

    Raises
    ------
    KeyError
        A name is not a column of ``table``.
    """
    fmap = field_map(table)
    missing = [n for n in names if n not in fmap]
    if missing:
        raise KeyError(f"no column {missing} in table {table._v_pathname}")
    fields = sorted({fmap[n][0] for n in names})
    if len(fields) == 1:
        rows = np.empty(stop - start, dtype=[(fields[0], table.coldtypes[fields[0]])])
        rows[fields[0]] = table.read(start, stop, field=fields[0])
    else:
        rows = table.read(start, stop)
    return {n: _pick(rows, fmap[n]) for n in names}


def read_rows(table: tables.Table, start: int, stop: int) -> npt.NDArray[Any]:
    """Rows ``[start, stop)`` as a structured array of named columns (no ``index`` field).

    One read of whole rows; block columns are given their own names (``TOF``, ``Range``).
    """
    rows = table.read(start, stop)
    fmap = field_map(table)
    dtype = [(n, np.dtype(table.coldtypes[f].base)) for n, (f, _) in fmap.items()]
    out = np.empty(len(rows), dtype=dtype)
    for name, where in fmap.items():
        out[name] = _pick(rows, where)
    return out


def read_extras(
    h5: tables.File, names: list[str] | tuple[str, ...], start: int, stop: int
) -> dict[str, npt.NDArray[Any]]:
    """AWA's arrays ``/awa/columns/<name>`` (one value per table row) for rows ``[start, stop)``.

    Raises
    ------
    KeyError
        The file has no such array (a store built before they existed: rebuild it).
    """
    out = {}
    for name in names:
        path = f"{schema.EXTRAS_GROUP}/{name}"
        if path not in h5:
            raise KeyError(f"{h5.filename} has no {path}; rebuild the stores with 'awa-build'")
        out[name] = np.asarray(h5.get_node(path)[start:stop])
    return out
