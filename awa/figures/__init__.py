"""Plotly figure builders of AWA: pure functions from query results to figures (no Dash).

They take result types of :mod:`awa.query` and view options of :mod:`awa.model`, label
their axes from :func:`awa.chem.schema.label` and never touch a store.  Modules:

- :mod:`~awa.figures.common`: the ``awa`` plotly template (:data:`~awa.figures.common.TEMPLATE`,
  the shared axis style), message figures, captions.
- :mod:`~awa.figures.histogram`: log-coloured heatmaps of 2-D histograms.
- :mod:`~awa.figures.et`, :mod:`~awa.figures.mmq`, :mod:`~awa.figures.scatter`: PHA views.
- :mod:`~awa.figures.timeline`: stacked timelines (rates, orbit, housekeeping, Kp, Dst).
- :mod:`~awa.figures.me`: the matrix-element picture and the ME timeline.
- :mod:`~awa.figures.coverage`: the archive calendar.
"""

__all__ = ["common", "coverage", "et", "histogram", "me", "mmq", "scatter", "timeline"]
