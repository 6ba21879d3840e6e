"""Hand-written stores, for the few shapes the build pipeline never makes.

The app tests run on stores built by the real pipeline (``tests.builtstore``).  A test uses
``write_store`` only when it needs a store the build cannot leave behind, and says why at the
call: a store rewritten in place with other rows (the store key must change), a PHA store
without its hour index (the bisection fallback), a store that no longer matches its column
sidecar (the sidecar must be ignored).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import tables

from awa.chem import schema
from data_build.stores import writer


def write_store(folder: Path, spec: schema.StoreSpec, df: pd.DataFrame) -> Path:
    """Write ``df`` as the store ``spec`` in ``folder`` like the build's table; return its path.

    ``df`` is flat (index levels and AWA's extras as columns, as ``SimulatedStores`` reads
    them).  The table has the build's layout, data columns and compression, and the extras
    arrays, but no hour index, no metadata attributes and no column sidecar.
    """
    path = Path(folder) / spec.filename
    data_columns = list(spec.data_columns)
    writer.store_frame(spec, df).to_hdf(
        path,
        key=spec.key,
        format="table",
        data_columns=data_columns,
        complib="blosc:zstd",  # type: ignore[arg-type]
        complevel=5,
        index=False,
        mode="w",
    )
    if spec.extras:
        with tables.open_file(path, mode="a") as h5:
            extras = {name: df[name].to_numpy() for name in spec.extras}
            writer._write_extras(h5, spec, extras, len(df))
    return path
