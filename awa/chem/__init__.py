"""The CHEM instrument and its archive: names, units, physics, day files, indexes, sidecar.

Importable without Dash, Flask or plotly (the data build uses it, and imports nothing else
of ``awa``).  Modules:

- :mod:`awa.chem.schema`: store and column names, dtypes, units, fill values, UI labels.
- :mod:`awa.chem.physics`: channel conversions, mass, M/Q, dE/dx (spec sections 4-5).
- :mod:`awa.chem.me_boxes`: the matrix-element grid and boxes (spec section 6).
- :mod:`awa.chem.days`: the one day-of-year and daily-file-name rule.
- :mod:`awa.chem.storms`: the one storm rule on hourly Dst.
- :mod:`awa.chem.hour_index`: the per-hour row index written by the build.
- :mod:`awa.chem.sidecar`: the column sidecar file (format, writer, reader).
- :mod:`awa.chem.species`: species regions of the M-M/Q plane, events and ME boxes in them.
- :mod:`awa.chem.store_attrs`: store attributes read back (column units).
- :mod:`awa.chem.table_columns`: the stores' pandas tables read by column name.
"""

__all__ = [
    "days",
    "hour_index",
    "me_boxes",
    "physics",
    "schema",
    "sidecar",
    "species",
    "storms",
    "store_attrs",
    "table_columns",
]
