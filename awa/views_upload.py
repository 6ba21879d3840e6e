"""The view of uploaded histogram CSVs: summed and plotted on one grid (plotly only)."""

from __future__ import annotations

import html

import numpy as np

from awa import export, query, upload
from awa.figures.common import message_figure
from awa.figures.histogram import MAX_FIGURE_CELLS
from awa.model import ViewOptions
from awa.view_base import View, grid_cells, too_fine, wrap

__all__ = ["upload_view"]


def upload_view(contents: list[str], names: list[str]) -> View:
    """Sum and plot uploaded histogram CSVs (all on one grid)."""
    from awa.figures.et import et_figure
    from awa.figures.mmq import mmq_figure

    title = "Uploaded histograms"
    if not contents:
        return View(
            message_figure(
                "Upload one or several histogram CSVs downloaded from AWA "
                "to plot them (several are summed)."
            ),
            "",
            "",
        )
    try:
        items = []
        for content, name in zip(contents, names or [""] * len(contents), strict=False):
            try:
                items.append(upload.read_histogram_upload(upload.decode_upload(content), name))
            except export.CsvFormatError as exc:
                raise export.CsvFormatError(f"{name}: {exc}") from None
        total = export.sum_histograms(items)
    except export.CsvFormatError as exc:
        # the message may quote the file's name or text: shown as text, never as markup
        text = wrap(html.escape(f"Cannot plot: {exc}", quote=False))
        return View(message_figure(text, title), str(exc), "")
    cells = grid_cells(total.x_edges, total.y_edges)
    if cells > MAX_FIGURE_CELLS:
        advice = "plot a coarser histogram (download it with wider bins)"
        return too_fine(title, cells, advice)
    n = int(total.counts.sum())
    hist = query.Hist2D(total.counts, total.x_edges, total.y_edges, n, n)
    # plotly draws tags of a title (links too): the uploaded title is escaped to plain text
    head = f"{html.escape(total.title, quote=False)}: {n:,} counts"
    if total.kind == "mmq":
        view = ViewOptions(mmq_x=(float(total.x_edges[0]), float(total.x_edges[-1])),
                           mmq_y=(float(total.y_edges[0]), float(total.y_edges[-1])),
                           mmq_refs=True)  # fmt: skip
        fig = mmq_figure(hist, view, head)
    else:
        view = ViewOptions(
            et_x=(float(total.x_edges[0]), float(total.x_edges[-1])),
            et_y=(float(total.y_edges[0]), float(total.y_edges[-1])),
        )
        fig = et_figure(hist, view, head)
    files = ", ".join(names) if names else f"{len(contents)} files"
    cap = (
        f"{len(items)} file(s) summed ({files}): {n:,} counts in "
        f"{np.count_nonzero(total.counts):,} "
        f"non-empty bins. Filters: {total.filters}."
    )
    return View(fig, cap, "")
