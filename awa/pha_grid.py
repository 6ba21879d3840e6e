"""The PHA histograms' grids and caption notes for the science team's options.

The team's app draws M-M/Q on ``num = int(log10(hi/lo)/w) + 1`` edges spanning each range
exactly, with the same count on both axes, and applies none of AWA's standard rejections;
these helpers give the bins, the CSV title and the caption notes that say so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from awa.chem import schema
from awa.figures.histogram import LEVEL_CELLS
from awa.model import Selection, ViewOptions
from awa.query import Hist2D, log_edges
from awa.query.histograms import exact_log_edges

__all__ = ["csv_title", "level_note", "mmq_bins", "mmq_edges", "rejection_note"]


def mmq_bins(view: ViewOptions) -> tuple[float, float, bool]:
    """Bin widths (decades) of M/Q and mass, and whether the team's edge rule applies.

    On the team's grid (``view.grid == "team"``) the edges span the ranges exactly, and both
    axes have ``num = int(log10(hi/lo)/w) + 1`` edges with ``w`` the M/Q bin width (the
    science team's rule, :func:`awa.query.exact_log_edges`): the mass width returned gives
    that count on the mass range.
    """
    if view.grid != "team":
        return view.mmq_binx, view.mmq_biny, False
    lo, hi = view.mmq_x
    num = max(int(np.log10(hi / lo) / view.mmq_binx) + 1, 2)
    span_y = float(np.log10(view.mmq_y[1] / view.mmq_y[0]))
    return view.mmq_binx, span_y / (num - 0.5), True


def mmq_edges(
    view: ViewOptions,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The M/Q and mass bin edges of ``view`` (amu/e, amu)."""
    bx, by, exact = mmq_bins(view)
    edges = exact_log_edges if exact else log_edges
    return edges(*view.mmq_x, bx), edges(*view.mmq_y, by)


def csv_title(view: ViewOptions, what: str, hist: Hist2D) -> str:
    """The ``# PLOTTITLE:`` of a histogram CSV: the custom title, else ``what`` and the
    counts as the team's files give them (``N PHAs of M total``, which their app sums)."""
    if view.title:
        return view.title
    norm = " Normalized" if hist.weighted else ""
    return f"{what}; {hist.n_shown:,}{norm} PHAs of {hist.n_selected:,} total"


def rejection_note(sel: Selection) -> str:
    """What AWA rejects that the science team's app does not (empty when none is on)."""
    on = [name for name, flag in ((f"TOF = {schema.TOF_ARTEFACT}", sel.reject_tof1019),
                                  ("Range 3", sel.reject_range3),
                                  ("SSDID >= 4", sel.reject_ssd_high)) if flag]  # fmt: skip
    if not on:
        return ""
    return (
        f" Differs from the team's app: AWA also rejects {', '.join(on)} (untick them under "
        f"Filters for the team's counts)."
    )


def level_note(cells: int) -> str:
    """Caption text for grids drawn as colour levels (no counts in the hover)."""
    if cells <= LEVEL_CELLS:
        return ""
    return (
        f" {cells:,} bins: drawn as colour levels (log10 counts), the hover gives the bin but "
        f"not its counts; the histogram CSV holds every count."
    )
