"""Compiled per-event loops of the histogram scans (numba): one pass over a scan block.

A scan block (:class:`awa.query.scan.Block`) holds the event columns of consecutive PHA rows
and the mask of the rows whose spin passed the spin-level filters.  The numpy path of the
histograms makes about ten passes over each block (detector mask, two look-ups, bounds,
compress, ``bincount``); these loops make one, apply the detector filters through the
tables of :func:`awa.query.masks.detector_tables` and add straight into the counts.  They
release the GIL, so a scan can read the next block while one is being counted
(:func:`awa.query.histograms`).  Every count equals the numpy path's
(tests/test_kernels.py, tests/test_physics_columns.py).

Arrays are passed as unsigned views (``Energy``/``TOF`` uint16, ``SSDID``/``Range`` uint8)
so that each value indexes its table directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["et_counts", "mmq_counts"]


def _et_py(energy, tof, ssd, rng, run_ok, e_ok, t_ok, s_ok, r_ok, e_bin, t_bin, flat):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
    n_sel = 0
    for i in range(energy.size):
        e = energy[i]
        t = tof[i]
        if run_ok[i] and e_ok[e] and t_ok[t] and s_ok[ssd[i]] and r_ok[rng[i]]:
            n_sel += 1
            b = e_bin[e] + t_bin[t]
            if b >= 0:
                flat[b] += 1
    return n_sel


def _mmq_py(energy, tof, ssd, rng, code, run_ok, e_ok, t_ok, s_ok, r_ok,  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
              mass_bin, code_bin, straddle, channels, flat, redo):  # fmt: skip
    n_sel = 0
    n_shown = 0
    n_redo = 0
    for i in range(energy.size):
        e = energy[i]
        t = tof[i]
        if not (run_ok[i] and e_ok[e] and t_ok[t] and s_ok[ssd[i]] and r_ok[rng[i]]):
            continue
        n_sel += 1
        if e >= channels or t >= channels:
            redo[n_redo] = i
            n_redo += 1
            continue
        m = mass_bin[e * channels + t]
        if m < 0:
            continue
        c = code_bin[code[i]]
        if c == straddle:
            redo[n_redo] = i
            n_redo += 1
        elif c >= 0:
            flat[m + c] += 1
            n_shown += 1
    return n_sel, n_shown, n_redo


# compiled on first use, kept in __pycache__ (or NUMBA_CACHE_DIR) for the next process
_et_loop: Any = njit(nogil=True, cache=True)(_et_py)
_mmq_loop: Any = njit(nogil=True, cache=True)(_mmq_py)


def _views(values: dict[str, npt.NDArray[Any]]) -> tuple[npt.NDArray[Any], ...]:
    return (
        values["Energy"].view(np.uint16),
        values["TOF"].view(np.uint16),
        values["SSDID"].view(np.uint8),
        values["Range"].view(np.uint8),
    )


def _tables(tables: dict[str, npt.NDArray[np.uint8]]) -> tuple[npt.NDArray[np.uint8], ...]:
    return tables["Energy"], tables["TOF"], tables["SSDID"], tables["Range"]


def et_counts(
    values: dict[str, npt.NDArray[Any]],
    run_ok: npt.NDArray[np.bool_],
    tables: dict[str, npt.NDArray[np.uint8]],
    e_bin: npt.NDArray[np.int32],
    t_bin: npt.NDArray[np.int32],
    flat: npt.NDArray[np.int64],
) -> int:
    """Add the selected events of a block to the flat E-T counts; return how many were selected.

    Parameters
    ----------
    values : dict of array, shape (n,)
        ``Energy``, ``TOF`` (int16), ``SSDID``, ``Range`` (int8) of the block's rows.
    run_ok : bool array, shape (n,)
        Rows whose spin passed the spin-level filters.
    tables : dict of uint8 array
        :func:`awa.query.masks.detector_tables` of the selection.
    e_bin, t_bin : int32 array, shape (65536,)
        Flat bin offset of each Energy (bin * nx) and TOF (bin) bit pattern, negative off the
        grid (``histograms._channel_lut``).
    flat : int64 array, shape (nx * ny,)
        Counts, updated in place.
    """
    return int(_et_loop(*_views(values), run_ok, *_tables(tables), e_bin, t_bin, flat))


def mmq_counts(
    values: dict[str, npt.NDArray[Any]],
    run_ok: npt.NDArray[np.bool_],
    tables: dict[str, npt.NDArray[np.uint8]],
    mass_bin: npt.NDArray[np.int32],
    code_bin: npt.NDArray[np.int32],
    straddle: int,
    channels: int,
    flat: npt.NDArray[np.int64],
) -> tuple[int, int, npt.NDArray[np.int64]]:
    """Add the selected events of a block to the flat M-M/Q counts (stored M/Q codes).

    Parameters
    ----------
    values : dict of array, shape (n,)
        ``Energy``, ``TOF``, ``SSDID``, ``Range`` and ``mpq_code`` (uint16) of the rows.
    run_ok, tables : as :func:`et_counts`.
    mass_bin : int32 array, shape (channels**2,)
        Mass bin * nx of each ``Energy * channels + TOF`` (:func:`physics_bins.mass_table`).
    code_bin : int32 array, shape (65536,)
        M/Q bin of each code, negative off the grid, ``straddle`` when the code's interval
        holds an edge (:func:`physics_bins.code_table`).
    channels : int
        Channels per axis of ``mass_bin``; other channel values need the exact conversion.
    flat : int64 array, shape (nx * ny,)
        Counts, updated in place.

    Returns
    -------
    (n_selected, n_shown, redo)
        Selected events, events counted, and the block positions of the selected events the
        tables cannot bin (a straddling code or a channel outside the table): the caller
        converts those exactly (spec section 4) and counts them.
    """
    redo = np.empty(len(values["TOF"]), dtype=np.int64)
    n_sel, n_shown, n_redo = _mmq_loop(
        *_views(values), values["mpq_code"], run_ok, *_tables(tables),
        mass_bin, code_bin, straddle, channels, flat, redo,
    )  # fmt: skip
    return int(n_sel), int(n_shown), redo[:n_redo]
