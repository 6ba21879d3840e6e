"""Dash page layouts and callback wiring of AWA.

``shell`` (the app's layout, the header and the links between pages, with the path
prefix) and ``widgets`` (shared inputs and graphs, taking plain ``str`` ids) serve every
page.  Each page owns its typed component ids: ``explore`` (the Browser page; its ids
``controls.Ids``, its ``sidebar`` and ``cards``, the URL <-> controls table in ``controls``),
``me`` (the matrix-element tab, ``MeIds``), ``coverage`` (``CovIds``) and ``atlas``
(``AtlasIds``).  Nothing below ``awa.pages`` imports a page.
"""

__all__ = [
    "atlas",
    "cards",
    "compare",
    "controls",
    "coverage",
    "explore",
    "me",
    "shell",
    "sidebar",
    "species",
    "widgets",
]
