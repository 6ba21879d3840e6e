"""What a figure slot shows (:class:`View`) and the message views shared by the view modules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from awa.figures.common import message_figure
from awa.figures.histogram import MAX_FIGURE_CELLS

__all__ = ["View", "grid_cells", "too_fine", "wrap"]


@dataclass(frozen=True)
class View:
    """What a figure slot shows: the figure, its caption and the CSV download link."""

    figure: go.Figure
    caption: str
    download: str


def grid_cells(x_edges: np.ndarray, y_edges: np.ndarray) -> int:
    """Number of cells of a histogram grid with these bin edges."""
    return max(len(x_edges) - 1, 0) * max(len(y_edges) - 1, 0)


def too_fine(title: str, cells: int, advice: str, download: str = "") -> View:
    msg = (
        f"{cells:,} bins are too many to draw (at most {MAX_FIGURE_CELLS:,} keep the figure "
        f"under 1.5 MB): {advice}."
    )
    if download:
        msg += " The histogram CSV below holds every bin."
    return View(message_figure(wrap(msg), title), msg, download)


def wrap(text: str, width: int = 70) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)
