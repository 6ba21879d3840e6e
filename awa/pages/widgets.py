"""Widgets shared by the pages: labelled fields, text inputs, checklists, graphs, tabs.

The helpers take plain ``str`` component ids (a page's ``StrEnum`` members are strings),
so this module imports no page and every page can use it.
"""

from __future__ import annotations

from typing import Any, cast

from dash import dcc, html

from awa import views
from awa.chem.schema import PAPS_KV
from awa.model import PAPS_LEVELS

#: Plotly's notices ("Double-click to zoom back out") off: they covered the toolbar.
NO_TIPS: dict[str, Any] = {"showTips": False}
#: Config of the figures before their first callback (the callbacks send the URL's format).
GRAPH_CONFIG: dict[str, Any] = {**views.graph_config(views.BASE_GRAPH_CONFIG, "png"), **NO_TIPS}

#: Style of the tabs of the Browser page (normal and selected).
TAB_STYLE: dict[str, Any] = {
    "style": {"padding": "6px 12px", "lineHeight": "20px"},
    "selected_style": {"padding": "6px 12px", "lineHeight": "20px", "fontWeight": "bold"},
}

#: PAPS levels and their post-acceleration voltages, as the PAPS checklist labels them.
PAPS_OPTIONS = {lvl: (f"{lvl} ({PAPS_KV[lvl]} kV)" if lvl in PAPS_KV else f"{lvl} (off)")
                for lvl in PAPS_LEVELS}  # fmt: skip


def field(label: str, component: Any, hint: str = "") -> html.Div:
    """``component`` under a label, with an optional hint line below."""
    return html.Div(
        [html.Label(label, className="awa-label"), component]
        + ([html.Div(hint, className="awa-hint")] if hint else []),
        className="awa-field",
    )


def text_input(cid: str, placeholder: str = "", width: str = "100%") -> dcc.Input:
    """A text input applied on Enter or when it loses focus (debounced)."""
    return dcc.Input(
        id=cid, type="text", debounce=True, placeholder=placeholder,
        className="awa-input", style={"width": width},
    )  # fmt: skip


def checklist(cid: str, options: dict[Any, str], inline: bool = True) -> dcc.Checklist:
    """A checklist of ``{value: label}`` options."""
    return dcc.Checklist(
        id=cid,
        options=[{"label": f" {v}", "value": k} for k, v in options.items()],
        inline=inline,
        className="awa-checks",
    )


def radio(cid: str, options: list[Any]) -> dcc.RadioItems:
    """Inline radio items."""
    return dcc.RadioItems(id=cid, options=options, inline=True, className="awa-radio")


def graph(cid: str, height: str) -> dcc.Loading:
    """A graph (with the initial :data:`GRAPH_CONFIG`) inside a delayed loading spinner."""
    return dcc.Loading(
        dcc.Graph(id=cid, config=cast(Any, GRAPH_CONFIG), style={"height": height}),
        type="default", delay_show=300,
    )  # fmt: skip
