"""Build the HDF5 stores from daily FITS files (spec sections 2 and 3).

Modules: :mod:`.frames` (one day's typed rows, bad periods, Dst/Kp merge), :mod:`.writer`
(append, sort, index, metadata) and :mod:`.build` (the whole build, replaced atomically).
"""

from data_build.stores.build import (
    BUILD_VERSION,
    BuildResult,
    build_stores,
    find_fits,
    process_file,
)
from data_build.stores.frames import (
    BadPeriod,
    BuildError,
    DayFrames,
    FileFailure,
    coverage_entry,
    day_frames,
    in_periods,
    kp_thirds,
    read_bad_periods,
)
from data_build.stores.writer import data_columns, store_metadata

__all__ = [
    "BUILD_VERSION",
    "BadPeriod",
    "BuildError",
    "BuildResult",
    "DayFrames",
    "FileFailure",
    "build_stores",
    "coverage_entry",
    "data_columns",
    "day_frames",
    "find_fits",
    "in_periods",
    "kp_thirds",
    "process_file",
    "read_bad_periods",
    "store_metadata",
]
