"""The cards of the Browser page: E-T, M-M/Q, timelines and uploaded histograms.

Each card holds a graph, the options of its view (controls of
``awa.pages.controls.CONTROLS``), a caption and download links.
"""

from __future__ import annotations

from dash import dcc, html

from awa.model import TIMELINE_PANELS
from awa.pages.controls import Ids
from awa.pages.widgets import checklist, field, graph, radio, text_input


def et_card() -> html.Div:
    """E-T view: graph, its options, caption and downloads."""
    return html.Div(
        [
            html.Div(
                [
                    field(
                        "grid",
                        radio(
                            Ids.GRID,
                            [
                                {"label": "AWA", "value": "awa"},
                                {"label": "team (0-500 ch, 0.5-100 amu)", "value": "team"},
                            ],
                        ),
                    ),
                    field("plot title (E-T and M-M/Q)",
                          text_input(Ids.PLOT_TITLE, "automatic", "220px")),
                    field("bin, ch", text_input(Ids.ET_BIN, "8", "48px")),
                    field("TOF range, ch", text_input(Ids.ET_X, "0,1023", "84px")),
                    field("Energy range, ch", text_input(Ids.ET_Y, "0,1023", "84px")),
                    field("ticks, ch", text_input(Ids.ET_TICK, "auto", "48px")),
                    field("colour, counts", text_input(Ids.Z_RANGE, "auto", "84px")),
                    field(
                        "units",
                        radio(
                            Ids.ET_UNITS,
                            [
                                {"label": "ch", "value": "channel"},
                                {"label": "ns, keV", "value": "physical"},
                            ],
                        ),
                    ),
                    field("show", radio(Ids.ET_MODE, ["heatmap", "scatter"])),
                    field("colour by", radio(Ids.COLOR, ["Range", "SSDID", "Sector"])),
                ],
                className="awa-options",
            ),  # fmt: skip
            graph(Ids.ET_GRAPH, "440px"),
            html.Div(id=Ids.ET_CAPTION, className="awa-caption"),
            html.Div(
                [
                    html.A("E-T histogram CSV", id=Ids.ET_DOWNLOAD, href="", download=""),
                    html.A("selected events CSV", id=Ids.ET_EVENTS, href="", download=""),
                    field("events CSV: mass, amu", text_input(Ids.EV_MASS, "all", "76px")),
                    field("M/Q, amu/e", text_input(Ids.EV_MPQ, "all", "76px")),
                ],
                className="awa-downloads",
            ),
        ],
        className="awa-card",
    )


def mmq_card() -> html.Div:
    """M-M/Q view: graph, its options, caption and download."""
    return html.Div(
        [
            html.Div(
                [
                    field("M/Q bin, log10", text_input(Ids.MMQ_BINX, "0.02", "52px")),
                    field("M bin, log10", text_input(Ids.MMQ_BINY, "0.02", "52px")),
                    field("M/Q range, amu/e", text_input(Ids.MMQ_X, "0.5,60", "76px")),
                    field("M range, amu", text_input(Ids.MMQ_Y, "0.5,60", "76px")),
                    field("show", radio(Ids.MMQ_MODE, ["heatmap", "scatter"])),
                    field(
                        "",
                        checklist(
                            Ids.MMQ_FLAGS,
                            {"norm": "weight BRn/Rn", "refs": "species marks", "mlog": "log axes"},
                        ),
                    ),
                ],
                className="awa-options",
            ),  # fmt: skip
            graph(Ids.MMQ_GRAPH, "440px"),
            html.Div(id=Ids.MMQ_CAPTION, className="awa-caption"),
            html.Div(
                [html.A("M-M/Q histogram CSV", id=Ids.MMQ_DOWNLOAD, href="", download="")],
                className="awa-downloads",
            ),
        ],
        className="awa-card",
    )


def timeline_card() -> html.Div:
    """Stacked timelines with a shared time axis."""
    return html.Div(
        [
            html.Div(
                [
                    field(
                        "panels",
                        dcc.Dropdown(
                            id=Ids.TL_PANELS,
                            options=list(TIMELINE_PANELS),
                            multi=True,
                            className="awa-panels",
                        ),
                    ),
                    field("", checklist(Ids.TL_FLAGS, {
                        "log": "log rate axes", "tlf": "with filters",
                        "pc0": "period counter 0 only",
                    })),
                    field("quantities on one axis",
                          text_input(Ids.TL_QUANTITIES, "R0/BR0, FSR/DCR; DCR, TCR", "220px")),
                    field("y ranges", text_input(Ids.TL_YRANGES, "FSR:1,1e5; L:2,8", "160px")),
                ],
                className="awa-options",
            ),  # fmt: skip
            html.Div(
                "Drag across a timeline to select a span: it becomes the time range of the "
                "E-T and M-M/Q views. Scroll or use the toolbar to zoom; all panels follow.",
                className="awa-hint",
            ),
            graph(Ids.TL_GRAPH, "auto"),
            html.Div(id=Ids.TL_CAPTION, className="awa-caption"),
            html.Div(
                [
                    html.A("timeline CSV", id=Ids.TL_DOWNLOAD, href="", download=""),
                    html.A("spins rejected by a rate filter CSV", id=Ids.TL_REJECTED, href="",
                           download=""),
                ],
                className="awa-downloads",
            ),
        ],
        className="awa-card awa-wide",
    )


#: Largest histogram CSV accepted by the upload box (bytes); the browser refuses larger files.
UPLOAD_MAX_BYTES = 20_000_000


def upload_tab() -> html.Div:
    """Upload one or several histogram CSVs (this app's format) to sum and plot them."""
    return html.Div(
        [
            dcc.Upload(
                id=Ids.UPLOAD,
                children=html.Div(
                    [
                        "Drop histogram CSV or XLSX files here or ",
                        html.A("choose files"),
                        f" ({UPLOAD_MAX_BYTES // 1_000_000} MB at most per file; larger files "
                        "are not sent)",
                    ]
                ),
                multiple=True,
                max_size=UPLOAD_MAX_BYTES,
                className="awa-upload",
            ),
            graph(Ids.UPLOAD_GRAPH, "560px"),
            html.Div(id=Ids.UPLOAD_CAPTION, className="awa-caption"),
        ],
        className="awa-card awa-wide",
    )
