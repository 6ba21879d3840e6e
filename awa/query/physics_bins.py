"""M-M/Q bins from the build's stored physics: look-up tables instead of per-event physics.

The build stores a code of each event's M/Q (:func:`awa.chem.sidecar.mpq_code`); mass is a
function of the Energy and TOF channels only.  For a grid, :func:`mass_table` gives the mass
bin of every (Energy, TOF) channel pair and :func:`code_table` the M/Q bin of every code, so
a histogram is two look-ups and a ``bincount``.  A code whose interval holds a bin edge
(:data:`STRADDLE`) does not fix the bin: those few events (and any channel outside 0-1023)
are converted exactly as a request without codes would (:func:`exact_bins`), so the counts
equal the per-request computation bin for bin (tests/test_physics_columns.py).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from awa.chem import physics, schema, sidecar

#: Table value of a bin off the grid (any sum with another table value stays negative).
OFF = -(2**30)
#: Code-table value of a code whose interval holds a bin edge (exact conversion needed).
STRADDLE = -(2**28)
#: Channels per axis of :func:`mass_table` (0 to ``CHANNEL_MAX``).
CHANNELS = schema.CHANNEL_MAX + 1


def bins_of(values: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """Bin of each value as ``numpy.histogram2d`` gives it on half-open ``[e0, e_last)``.

    Returns int64 bins, :data:`OFF` outside the grid or for NaN.
    """
    inside = np.isfinite(values) & (values >= edges[0]) & (values < edges[-1])
    b = np.searchsorted(edges, values, side="right") - 1
    return np.where(inside, b, OFF)


@functools.lru_cache(maxsize=4)  # 4 MB each
def mass_table(edges: tuple[float, ...], scale: int) -> npt.NDArray[np.int32]:
    """Mass bin times ``scale`` of every channel pair, index ``Energy * 1024 + TOF``.

    The masses are those of :func:`awa.chem.physics.mass_amu` (spec section 4), so the bins
    are the per-request ones; :data:`OFF` where the mass is off the grid.
    """
    ch = np.arange(CHANNELS, dtype=np.float64)
    e = np.repeat(physics.energy_kev(ch), CHANNELS)
    t = np.tile(physics.tof_ns(ch), CHANNELS)
    b = bins_of(physics.mass_amu(e, t), np.asarray(edges, dtype=np.float64))
    return np.where(b >= 0, b * scale, OFF).astype(np.int32)


@functools.lru_cache(maxsize=16)
def code_table(edges: tuple[float, ...]) -> npt.NDArray[np.int32]:
    """M/Q bin of every code (:func:`awa.chem.sidecar.mpq_code`) on the grid ``edges``.

    :data:`OFF` when the code's whole interval is off the grid (or the code is NaN),
    :data:`STRADDLE` when the interval holds an edge, else the bin.
    """
    e = np.asarray(edges, dtype=np.float64)
    low, high = sidecar.mpq_code_bounds()
    k_low = np.searchsorted(e, low, side="right")
    k_high = np.searchsorted(e, high, side="right")
    inside = (k_low >= 1) & (k_low <= len(e) - 1)
    out = np.where(inside, k_low - 1, OFF)
    out = np.where(k_low != k_high, STRADDLE, out)
    out[0] = OFF
    return out.astype(np.int32)


def exact_bins(
    energy: npt.NDArray[Any],
    tof: npt.NDArray[Any],
    step: npt.NDArray[Any],
    paps_lvl: npt.NDArray[Any],
    xe: npt.NDArray[np.float64],
    ye: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Flat bins (mass bin * nx + M/Q bin) of events converted exactly; negative off grid.

    Shapes (n,) in, (n,) out; the conversion is :func:`awa.chem.physics.convert_events`.
    """
    conv = physics.convert_events(energy, tof, step, paps_lvl)
    by = bins_of(conv["mass"], ye)
    bx = bins_of(conv["mpq"], xe)
    return np.where((by >= 0) & (bx >= 0), by * (len(xe) - 1) + bx, -1)


def block_bins(
    block: Any, xe: npt.NDArray[np.float64], ye: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Flat M-M/Q bins of the events of a scan block (``Energy``, ``TOF``, ``mpq_code``).

    Parameters
    ----------
    block : awa.query.scan.Block
        With the event columns ``Energy``, ``TOF`` and ``mpq_code`` and its run columns.
    xe, ye : array
        M/Q and mass edges.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        ``mass bin * nx + M/Q bin``, negative off the grid (mask not applied).
    """
    nx = len(xe) - 1
    energy, tof = block.values["Energy"], block.values["TOF"]
    eu, tu = energy.view(np.uint16), tof.view(np.uint16)
    odd = (eu | tu) >= CHANNELS
    key = (eu.astype(np.int32) << 10) | tu
    if odd.any():
        key[odd] = 0
    idx = mass_table(tuple(ye.tolist()), nx)[key]
    idx += code_table(tuple(xe.tolist()))[block.values["mpq_code"]]
    # straddling codes of on-grid masses: idx is then in [STRADDLE + OFF, 0)
    redo = (idx < 0) & (idx >= STRADDLE) & block.mask
    redo |= odd & block.mask
    if redo.any():
        pos = np.flatnonzero(redo)
        idx[pos] = exact_bins(
            energy[pos], tof[pos], block.run_values("Voltage_Step", pos),
            block.run_values("PAPS_lvl", pos), xe, ye,
        )  # fmt: skip
    return idx
