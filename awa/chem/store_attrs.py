"""Attributes the build writes on each store table, read back (column units).

The build writes :func:`awa.chem.schema.store_units` as JSON under
:data:`awa.chem.schema.UNITS_ATTR` on every table; this module reads them back.
"""

from __future__ import annotations

import json
import os

import tables

from awa.chem.schema import UNITS_ATTR


class UnitsMissingError(LookupError):
    """A store carries no units attribute (it was not written by ``awa-build``)."""


def read_units(source: str | os.PathLike[str] | tables.File, key: str) -> dict[str, str]:
    """Read back the units a store carries in its :data:`UNITS_ATTR` attribute.

    Parameters
    ----------
    source : path or tables.File
        The store file, or an open PyTables handle of it (left open).
    key : str
        The store key (``StoreSpec.key``), e.g. ``"ampte_rates"``.

    Returns
    -------
    dict
        Column name -> units text; equal to :func:`store_units` for a store the current
        build wrote.

    Raises
    ------
    UnitsMissingError
        The table node has no units attribute.
    """
    if isinstance(source, tables.File):
        return _units_of(source, key)
    with tables.open_file(os.fspath(source), "r") as h5:
        return _units_of(h5, key)


def _units_of(h5: tables.File, key: str) -> dict[str, str]:
    node = h5.get_node(f"/{key}/table")
    if UNITS_ATTR not in node.attrs._v_attrnames:
        raise UnitsMissingError(
            f"{h5.filename}: /{key}/table has no '{UNITS_ATTR}' attribute; rebuild with awa-build"
        )
    units = json.loads(str(node.attrs[UNITS_ATTR]))
    return {str(column): str(text) for column, text in units.items()}
