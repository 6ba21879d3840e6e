"""The CHEM instrument and its archive: names, units, physics, day files, indexes, sidecar.

Importable without Dash, Flask or plotly (the data build uses it).  Modules:

- :mod:`awa.chem.schema`: store and column names, dtypes, units, fill values, labels.
- :mod:`awa.chem.physics`: channel conversions, mass, M/Q, ME boxes (spec sections 4-6).
- :mod:`awa.chem.hour_index`: the per-hour row index written by the build.
- :mod:`awa.chem.sidecar`: the column sidecar file (format, writer, reader).
"""
