"""The filter sidebar of the Browser page: the controls of the selection of events.

Each control shows URL parameters (``awa.pages.controls.CONTROLS``); the page's sync
callback keeps them and the URL in step.
"""

from __future__ import annotations

from dash import dcc, html

from awa.chem.schema import TOF_ARTEFACT
from awa.model import DPU_MODES, PHA_PRIORITIES, TAC_SLOPES
from awa.pages.controls import Ids
from awa.pages.widgets import PAPS_OPTIONS, checklist, field, text_input


def sidebar() -> html.Div:
    """The filter controls (the selection of events)."""
    return html.Div(
        [
            html.H3("Time"),
            field(
                "Time ranges (UTC)",
                dcc.Input(
                    id=Ids.TIME,
                    type="text",
                    debounce=True,
                    className="awa-input awa-time",
                    placeholder="1986-040-0000:1986-041-1200",
                ),
                "e.g. 1986-040-0000:1986-041-1200 or 1986-02-09T00:00/1986-02-10T12:00; "
                "';' between ranges. Enter or click away applies.",
            ),
            html.Div(
                [
                    dcc.DatePickerRange(
                        id=Ids.PICKER,
                        display_format="YYYY-MM-DD",
                        start_date_placeholder_text="from",
                        end_date_placeholder_text="to",
                        min_date_allowed="1984-08-01",
                        max_date_allowed="1990-01-01",
                        initial_visible_month="1986-02-01",
                        clearable=True,
                    ),  # fmt: skip
                ],
                className="awa-field",
            ),
            html.Div(
                [
                    html.Label("Storms: hours with Dst <=", className="awa-label"),
                    text_input(Ids.STORM_DST, "-100", "64px"),
                    html.Span("nT", className="awa-label"),
                ],
                className="awa-row",
            ),
            dcc.Dropdown(
                id=Ids.STORMS,
                placeholder="pick a storm (sets the time range)",
                className="awa-storms",
                optionHeight=40,
            ),
            html.Div(id=Ids.STORM_NOTE, className="awa-hint", role="status"),
            html.H3("Where and when"),
            html.Div(
                [
                    field("L, Re", text_input(Ids.L, "2,10")),
                    field("E/Q step", text_input(Ids.VSTEP, "all")),
                    field("MLT HHMM", text_input(Ids.MLT, "all")),
                ],
                className="awa-grid3",
            ),
            html.Div(
                [
                    field("Dst, nT", text_input(Ids.DST, "all")),
                    field("Kp", text_input(Ids.KP, "all")),
                ],
                className="awa-grid2",
            ),
            html.H3("Instrument"),
            field("SSD id", checklist(Ids.SSD, {i: str(i) for i in range(6)})),
            field("PHA range", checklist(Ids.RANGES, {i: str(i) for i in range(4)})),
            field(
                "PAPS level",
                checklist(Ids.PAPS, {k: str(k) for k in PAPS_OPTIONS}),
                "kV by level: 1 14.0, 2 15.3, 3 17.0, 4 18.8, 5 21.9, 6 24.1",
            ),
            field("DPU mode", checklist(Ids.DPU, {k: str(k) for k in DPU_MODES})),
            field("TAC slope", checklist(Ids.TAC, dict(TAC_SLOPES))),
            field(
                "PHA priority", checklist(Ids.PRIO, {k: v[0] for k, v in PHA_PRIORITIES.items()})
            ),
            checklist(
                Ids.FLAGS,
                {
                    "tri": "triples only",
                    "r1019": f"reject TOF={TOF_ARTEFACT}",
                    "r3": "reject Range 3",
                    "rssd": "reject SSDID>=4",
                },
                inline=False,
            ),  # fmt: skip
            html.H3("Rates"),
            checklist(
                Ids.RATE_FLAGS,
                {"brdcr": "BR0+BR1+BR2 <= DCR", "br2tcr": "BR2 <= TCR", "rnbrn": "Rn <= BRn"},
                inline=False,
            ),
            html.Div(
                [
                    field("max BR0", text_input(Ids.BR0MAX, "none")),
                    field("max BR1", text_input(Ids.BR1MAX, "none")),
                    field("max BR2", text_input(Ids.BR2MAX, "none")),
                ],
                className="awa-grid3",
            ),
            field(
                "Drop sweeps",
                text_input(Ids.SWEEP, "DCR,5000,12"),
                "RATE,LIMIT,STEP: drop voltage sweeps whose FSR/DCR/TCR/SSD exceeds "
                "LIMIT counts/spin at that step",
            ),
            html.H3("Figures"),
            field(
                "Image download format",
                dcc.RadioItems(id=Ids.IMG, options=["png", "svg"], inline=True),
            ),
        ],
        className="awa-sidebar",
    )
