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

from awa.chem import schema


def write_store(folder: Path, spec: schema.StoreSpec, df: pd.DataFrame) -> Path:
    """Write ``df`` as the store ``spec`` in ``folder`` like the build's table; return its path.

    The table has the build's data columns and compression, but no hour index, no metadata
    attributes and no column sidecar.
    """
    path = Path(folder) / spec.filename
    data_columns = list(schema.ME_DATA_COLUMNS) if spec is schema.ME_STORE else list(spec.columns)
    df.to_hdf(
        path,
        key=spec.key,
        format="table",
        data_columns=data_columns,
        complib="blosc:zstd",  # type: ignore[arg-type]
        complevel=5,
        index=False,
        mode="w",
    )
    return path
