"""The layout of an APL daily CHEM FITS file (spec section 2), as data.

A file ``YYYY_DDD.fits.gz`` (named by :mod:`awa.chem.days`) holds a primary HDU and four
binary-table extensions.  The reader (``data_build.fits``) and the simulator
(``data_build.simulate``) both use this table, so what one writes the other reads.  FITS
``TFORM`` codes are those the simulator writes by default; the reader never relies on them
(dtypes vary in the real archive) and converts every column with an explicit ``astype``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HduSpec:
    """One binary-table extension of a daily file.

    Attributes
    ----------
    index : int
        Extension number (1-4; 0 is the primary HDU).
    name : str
        ``EXTNAME``.
    per : str
        What one row is: ``"cycle"`` (32 spins) or ``"spin"``.
    columns : dict
        Column name -> (``TFORM`` the simulator writes, repeat = values per row, 1 for
        scalars).
    """

    index: int
    name: str
    per: str  # "cycle" or "spin"
    columns: dict[str, tuple[str, int]]


HDU_ORBIT = HduSpec(1, "ORBIT", "cycle", {"ST": ("D", 1), "MAGLAT": ("E", 1), "MAGLON": ("E", 1)})
HDU_HK = HduSpec(
    2,
    "HK",
    "cycle",
    {
        "CSHK": ("I", 1),
        "DPUMHK": ("I", 1),
        "TAKHK": ("I", 1),
        "PHAPHK": ("I", 1),
        "PAPS": ("I", 1),
        "SCHK": ("25B", 25),  # 5 x 5 status bytes, row-major ([4][1] is index 21)
    },
)
HDU_ME = HduSpec(3, "ME", "cycle", {"ME": ("512J", 512)})
HDU_SPIN = HduSpec(
    4,
    "SPIN",
    "spin",
    {
        "TT": ("D", 1),
        "L": ("E", 1),
        "VS": ("2I", 2),
        "PHA": ("430I", 430),
        "DR": ("4J", 4),
        "SBR": ("96J", 96),
    },
)
HDUS = (HDU_ORBIT, HDU_HK, HDU_ME, HDU_SPIN)

#: Order of the four direct rates inside ``DR`` (the FITS header documentation is wrong).
DR_ORDER = ("FSR", "DCR", "TCR", "SSD")
#: Order of the five words of one PHA event inside ``PHA``.
PHA_WORDS = ("Energy", "TOF", "Sector", "SSDID", "Range")
