"""Species regions of the mass versus M/Q plane, and the events and ME boxes inside them.

A species region is a rectangle in (M/Q, mass): ``mpq_min <= M/Q < mpq_max`` and
``mass_min <= mass < mass_max`` (amu/e, amu).  The default regions are the table
``tables/species_regions.csv``, placed around the ring-current species of spec section 5
(H+, He++, He+, O+, O++ and the solar-wind C/O high charge states) on the mass and M/Q of
spec section 4.  Where regions overlap, the first in table order wins.

Every event gets one code (:func:`classify`):

- ``0 .. n-1``: the region of that index;
- ``n`` (:func:`other_code`): it has a mass and an M/Q but lies in no region ("other");
- ``n + 1`` (:func:`no_mass_code`): it has no mass (no energy signal, spec section 4: mass 0)
  or no valid M/Q (NaN), so it cannot be placed in the plane.

The on-board view (:func:`me_box_codes`) gives each matrix-element box (spec section 6) the
code of the point at its centre in grid units; the doubles boxes 0-47 (no mass) get the
no-mass code.  No Dash, Flask or plotly here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.typing import ArrayLike

from awa.chem.me_boxes import grid_to_mass, grid_to_mpq, me_boxes
from awa.chem.physics import as_float, read_table

__all__ = [
    "NO_MASS",
    "OTHER",
    "SpeciesRegion",
    "classify",
    "code_names",
    "default_regions",
    "me_box_codes",
    "me_species_counts",
    "no_mass_code",
    "other_code",
    "validate_regions",
]

#: Name of the code of events with a mass in no region.
OTHER = "other"
#: Name of the code of events without a mass or without a valid M/Q.
NO_MASS = "no mass"
#: Largest number of regions (codes fit an int8 with "other" and "no mass").
MAX_REGIONS = 32
_MAX_NAME = 24


@dataclass(frozen=True)
class SpeciesRegion:
    """One species region: a rectangle of the M/Q (amu/e) versus mass (amu) plane.

    The bounds are half-open: ``mpq_min <= M/Q < mpq_max``, ``mass_min <= mass < mass_max``.
    """

    name: str
    mpq_min: float
    mpq_max: float
    mass_min: float
    mass_max: float

    def contains(self, mass: ArrayLike, mpq: ArrayLike) -> npt.NDArray[np.bool_]:
        """Boolean mask of the points (``mass`` amu, ``mpq`` amu/e) inside the region."""
        m = as_float(mass, "mass")
        q = as_float(mpq, "mpq")
        return (
            (q >= self.mpq_min) & (q < self.mpq_max) & (m >= self.mass_min) & (m < self.mass_max)
        )


def validate_regions(regions: tuple[SpeciesRegion, ...]) -> tuple[SpeciesRegion, ...]:
    """Check a tuple of regions and return it unchanged.

    Raises
    ------
    ValueError
        With a message naming the region, when there are none or more than ``MAX_REGIONS``,
        a name is empty, longer than 24 characters, repeated or one of the reserved names
        "other" and "no mass", or a bound is not finite, not positive or not below its
        upper bound.
    """
    if not regions:
        raise ValueError("no species regions: give at least one")
    if len(regions) > MAX_REGIONS:
        raise ValueError(f"{len(regions)} species regions: at most {MAX_REGIONS} are allowed")
    seen: set[str] = set()
    for r in regions:
        name = r.name.strip()
        if not name or len(name) > _MAX_NAME:
            raise ValueError(f"species region name {r.name!r}: give 1 to {_MAX_NAME} characters")
        if name.lower() in (OTHER, NO_MASS):
            raise ValueError(f"species region name {r.name!r} is reserved")
        if name in seen:
            raise ValueError(f"species region {name!r} is given twice")
        seen.add(name)
        for lo, hi, what, unit in (
            (r.mpq_min, r.mpq_max, "M/Q", "amu/e"),
            (r.mass_min, r.mass_max, "mass", "amu"),
        ):
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or lo >= hi:
                raise ValueError(
                    f"species region {name!r}: {what} bounds {lo:g}-{hi:g} {unit} must be "
                    "positive with the lower below the upper"
                )
    return regions


def _regions_from_frame(frame: pd.DataFrame) -> tuple[SpeciesRegion, ...]:
    names = frame["region"].astype(str).tolist()
    bounds = frame[["mpq_min", "mpq_max", "mass_min", "mass_max"]].to_numpy(dtype=np.float64)
    return validate_regions(
        tuple(
            SpeciesRegion(name, float(b[0]), float(b[1]), float(b[2]), float(b[3]))
            for name, b in zip(names, bounds, strict=True)
        )
    )


@cache
def default_regions() -> tuple[SpeciesRegion, ...]:
    """The default species regions, from ``tables/species_regions.csv`` in table order."""
    return _regions_from_frame(read_table("species_regions.csv"))


def other_code(regions: tuple[SpeciesRegion, ...]) -> int:
    """Code of events with a mass in none of ``regions`` (``len(regions)``)."""
    return len(regions)


def no_mass_code(regions: tuple[SpeciesRegion, ...]) -> int:
    """Code of events without a mass or M/Q (``len(regions) + 1``)."""
    return len(regions) + 1


def code_names(regions: tuple[SpeciesRegion, ...]) -> list[str]:
    """Name of each code: the region names, then "other", then "no mass"."""
    return [r.name for r in regions] + [OTHER, NO_MASS]


def classify(
    mass: ArrayLike, mpq: ArrayLike, regions: tuple[SpeciesRegion, ...] | None = None
) -> npt.NDArray[np.int8]:
    """Species code of each event (module docstring), vectorised.

    Parameters
    ----------
    mass : array_like, shape (n,)
        Mass, amu (spec section 4; 0 when the event has no energy signal).
    mpq : array_like, shape (n,)
        Mass per charge, amu/e (spec section 4; NaN without a valid PAPS voltage).
    regions : tuple of SpeciesRegion, optional
        Defaults to :func:`default_regions`.  The first region containing a point wins.

    Returns
    -------
    numpy.ndarray of int8, shape (n,)

    Raises
    ------
    ValueError
        When ``mass`` and ``mpq`` differ in shape or the regions are invalid.
    """
    regs = default_regions() if regions is None else validate_regions(regions)
    m = as_float(mass, "mass")
    q = as_float(mpq, "mpq")
    if m.shape != q.shape:
        raise ValueError(f"mass has shape {m.shape} but mpq has shape {q.shape}")
    placed = (m > 0) & (q > 0) & np.isfinite(m) & np.isfinite(q)
    codes = np.full(m.shape, no_mass_code(regs), dtype=np.int8)
    codes[placed] = other_code(regs)
    # Fill from the last region to the first so that the first region containing a point wins.
    for index in range(len(regs) - 1, -1, -1):
        codes[placed & regs[index].contains(m, q)] = index
    return codes


def me_box_codes(regions: tuple[SpeciesRegion, ...] | None = None) -> npt.NDArray[np.int8]:
    """Species code of each of the 491 ME boxes (spec section 6), shape (491,).

    A box takes the code of its centre in grid units, converted with the grid-to-physics rule
    of spec section 6; doubles boxes (no mass) take the no-mass code and the background
    boxes 252-256 (what no other box covers) the "other" code.
    """
    regs = default_regions() if regions is None else validate_regions(regions)
    boxes = me_boxes()
    xc = boxes["x0"].to_numpy(dtype=np.float64) + boxes["width"].to_numpy(dtype=np.float64) / 2
    yc = boxes["y0"].to_numpy(dtype=np.float64) + boxes["height"].to_numpy(dtype=np.float64) / 2
    codes = classify(grid_to_mass(yc), grid_to_mpq(xc), regs)
    kind = boxes["kind"].to_numpy()
    codes[kind == "double"] = no_mass_code(regs)
    codes[kind == "background"] = other_code(regs)
    result = np.empty_like(codes)
    result[boxes["me"].to_numpy(dtype=np.int64)] = codes
    return result


def me_species_counts(
    me: ArrayLike, regions: tuple[SpeciesRegion, ...] | None = None
) -> npt.NDArray[np.int64]:
    """Counts of each species code summed over the ME boxes, per cycle.

    Parameters
    ----------
    me : array_like of int, shape (n_cycles, n_me) with n_me >= 491
        Matrix-element counts per cycle; columns beyond 490 are not boxes and are ignored.
        Negative values (fill) count as 0.
    regions : tuple of SpeciesRegion, optional

    Returns
    -------
    numpy.ndarray of int64, shape (n_cycles, len(regions) + 2)
        Columns in the order of :func:`code_names`.

    Raises
    ------
    ValueError
        When ``me`` is not two-dimensional with at least 491 columns.
    """
    regs = default_regions() if regions is None else validate_regions(regions)
    counts = np.asarray(me)
    n_boxes = len(me_boxes())
    if counts.ndim != 2 or counts.shape[1] < n_boxes:
        raise ValueError(f"ME counts must have shape (cycles, >= {n_boxes}), got {counts.shape}")
    boxes = np.clip(counts[:, :n_boxes].astype(np.int64), 0, None)
    onehot = np.zeros((n_boxes, len(regs) + 2), dtype=np.int64)
    onehot[np.arange(n_boxes), me_box_codes(regs)] = 1
    return boxes @ onehot
