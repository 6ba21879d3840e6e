"""Matrix-element boxes of the on-board classifier (spec section 6).

The ME grid maps M/Q and mass to grid coordinates (x, y); ``me_boxes.csv`` lists the
boxes (:data:`awa.chem.schema.N_ME_BOXES` of them) as rectangles on that grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from awa.chem.physics import ArrayLike, FloatArray, IntArray, as_float, read_table

#: ME grid to physics (spec section 6): M/Q = MPQ_GRID0 * MPQ_GRID_STEP ** (x - 1) and
#: Mass = MASS_GRID0 * MASS_GRID_STEP ** (y - 1).
MPQ_GRID0 = 0.6837
MPQ_GRID_STEP = 1.05
MASS_GRID0 = 0.6854
MASS_GRID_STEP = 1.20


def grid_to_mpq(x: ArrayLike) -> FloatArray:
    """M/Q (amu/e) at ME grid coordinate x: ``0.6837 * 1.05 ** (x - 1)`` (spec section 6)."""
    return MPQ_GRID0 * MPQ_GRID_STEP ** (as_float(x, "x") - 1.0)


def grid_to_mass(y: ArrayLike) -> FloatArray:
    """Mass (amu) at ME grid coordinate y: ``0.6854 * 1.20 ** (y - 1)`` (spec section 6)."""
    return MASS_GRID0 * MASS_GRID_STEP ** (as_float(y, "y") - 1.0)


def mpq_to_grid(mpq: ArrayLike) -> FloatArray:
    """ME grid x coordinate of an M/Q (amu/e); inverse of :func:`grid_to_mpq`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 + np.log(as_float(mpq, "mpq") / MPQ_GRID0) / np.log(MPQ_GRID_STEP)


def mass_to_grid(mass: ArrayLike) -> FloatArray:
    """ME grid y coordinate of a mass (amu); inverse of :func:`grid_to_mass`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 + np.log(as_float(mass, "mass") / MASS_GRID0) / np.log(MASS_GRID_STEP)


@cache
def _me_boxes() -> pd.DataFrame:
    table = read_table("me_boxes.csv")
    expected = ["me", "x0", "y0", "width", "height", "kind"]
    if list(table.columns) != expected:
        raise ValueError(f"me_boxes.csv: expected columns {expected}, got {list(table.columns)}")
    frame = table.astype({"me": "int64", "x0": "int64", "y0": "int64"})
    frame = frame.astype({"width": "int64", "height": "int64"})
    x1 = frame["x0"] + frame["width"]
    y1 = frame["y0"] + frame["height"]
    frame["nq_lo"] = frame["x0"] - 1
    frame["nm_lo"] = frame["y0"] - 1
    frame["mpq_lo"] = grid_to_mpq(frame["x0"].to_numpy())
    frame["mpq_hi"] = grid_to_mpq(x1.to_numpy())
    frame["mass_lo"] = grid_to_mass(frame["y0"].to_numpy())
    frame["mass_hi"] = grid_to_mass(y1.to_numpy())
    return frame


def me_boxes() -> pd.DataFrame:
    """The 491 matrix-element boxes of the mass versus M/Q grid (spec section 6).

    Returns
    -------
    pandas.DataFrame
        One row per box: ``me`` (box number 0-490), ``x0``, ``y0``, ``width``, ``height``
        (grid units; the box covers x in [x0, x0+width), y in [y0, y0+height)), ``kind``
        ("double" for boxes 0-47, "background" for 252-256, else "triple"), ``nq_lo`` and
        ``nm_lo`` (the DPU's indices x0 - 1, y0 - 1), ``mpq_lo``/``mpq_hi`` (amu/e) and
        ``mass_lo``/``mass_hi`` (amu) of the box edges.  Doubles are classified by M/Q
        only; their mass edges are the literal grid conversion of y in [0, 1).
    """
    return _me_boxes().copy()


#: Rounding allowance (grid units) when placing a point on the ME grid.
_GRID_EPS = 1e-9


@dataclass(frozen=True)
class MeGrid:
    """The ME boxes laid on the integer grid (spec section 6); arrays are read-only.

    Attributes
    ----------
    cells : int array (ny, nx)
        Box covering cell (x, y) = (column, row) for events with a mass; -1 where none.
        Background boxes 252-256 are laid first, so the other boxes cover them.
    doubles : int array (nx,)
        Double box (0-47) of each x column, for events without energy; -1 where none.
    mpq_edges : float array (nx + 1,)
        M/Q at the grid lines x = 0..nx, amu/e.
    mass_edges : float array (ny + 1,)
        Mass at the grid lines y = 0..ny, amu.
    """

    cells: IntArray
    doubles: IntArray
    mpq_edges: FloatArray
    mass_edges: FloatArray


@cache
def me_grid() -> MeGrid:
    """The one ME cell grid: which box covers each integer grid cell (spec section 6).

    Used both to classify events (:func:`me_box_of`) and to draw the ME picture.

    Returns
    -------
    MeGrid
        Cells of the main grid and of the doubles strip, and the grid-line edges in
        amu/e and amu.
    """
    boxes = _me_boxes()
    nx = int((boxes["x0"] + boxes["width"]).max())
    ny = int((boxes["y0"] + boxes["height"]).max())
    cells = np.full((ny, nx), -1, dtype=np.int64)
    doubles = np.full(nx, -1, dtype=np.int64)
    for kind in ("background", "triple"):  # background first, so the others cover it
        part = boxes.loc[boxes["kind"] == kind, ["me", "x0", "y0", "width", "height"]]
        for me, x0, y0, width, height in part.to_numpy():
            cells[y0 : y0 + height, x0 : x0 + width] = me
    for me, x0, width in boxes.loc[boxes["kind"] == "double", ["me", "x0", "width"]].to_numpy():
        doubles[x0 : x0 + width] = me
    grid = MeGrid(
        cells,
        doubles,
        np.asarray(grid_to_mpq(np.arange(nx + 1)), dtype=np.float64),
        np.asarray(grid_to_mass(np.arange(ny + 1)), dtype=np.float64),
    )
    for array in (grid.cells, grid.doubles, grid.mpq_edges, grid.mass_edges):
        array.setflags(write=False)
    return grid


def me_box_of(mass: ArrayLike, mpq: ArrayLike) -> IntArray:
    """ME box (spec section 6) each event with (mass, M/Q) falls in.

    Parameters
    ----------
    mass : array_like
        Mass, amu; exactly 0 means no energy (a double), classified by M/Q only into
        boxes 0-47.
    mpq : array_like
        Mass per charge, amu/e.

    Returns
    -------
    numpy.ndarray of int64
        Box number 0-490, or -1 where no box covers the point (off the grid, M/Q <= 0,
        negative or NaN inputs).  Background boxes 252-256 are returned only where no
        other box covers the point.
    """
    m, q = np.broadcast_arrays(as_float(mass, "mass"), as_float(mpq, "mpq"))
    grid = me_grid()
    ny, nx = grid.cells.shape
    # a point on a box's lower edge (up to rounding) belongs to that box
    x = np.floor(mpq_to_grid(np.where(q > 0, q, np.nan)) + _GRID_EPS)
    y = np.floor(mass_to_grid(np.where(m > 0, m, np.nan)) + _GRID_EPS)
    in_x = np.isfinite(x) & (x >= 0) & (x < nx)
    ix = np.where(in_x, x, 0).astype(np.int64)
    result = np.full(m.shape, -1, dtype=np.int64)
    double = in_x & (m == 0)
    result[double] = grid.doubles[ix[double]]
    triple = in_x & np.isfinite(y) & (y >= 0) & (y < ny)
    iy = np.where(triple, y, 0).astype(np.int64)
    result[triple] = grid.cells[iy[triple], ix[triple]]
    return result
