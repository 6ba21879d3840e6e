"""Facts shared by the app's figures and the build's atlas are defined once."""

from __future__ import annotations

import datetime as dt
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio
from matplotlib.colors import to_hex

from awa.chem import schema
from awa.figures import common
from data_build import atlas

ROOT = Path(__file__).resolve().parents[1]


def test_atlas_kp_bars_use_the_schema_colours() -> None:
    day = dt.date(1986, 2, 9)
    times = pd.date_range("1986-02-09", periods=24 * 60, freq="min")
    kp = np.repeat([1.0, 4.3, 6.0, 2.0, 1.0, 1.0, 1.0, 1.0], 180)
    rates = pd.DataFrame(
        {
            "SpinStartTime": times,
            "L": 5.0,
            "MLTH": 12.0,
            "Voltage_Step": np.arange(len(times)) % 64,
            **{name: 10 for name in ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2")},
            "CSHK": 0,
            "Kp": kp,
            "Dst": -20.0,
        }
    )
    fig = atlas.render_day(rates, day)
    kp_axis = fig.axes[4]  # L, rates, spectrogram, heavy fraction, then Kp
    colours = [to_hex(bar.get_facecolor()) for bar in kp_axis.patches]
    assert colours == schema.kp_colours(kp[::180])
    assert set(colours) == set(schema.KP_COLOURS)


def test_the_axis_style_lives_in_the_template_only() -> None:
    template = pio.templates["awa"]
    for axis in (template.layout.xaxis, template.layout.yaxis):
        assert axis.showline is True
        assert (axis.linecolor, axis.mirror, axis.ticks) == ("#888", True, "outside")
    assert common.TEMPLATE == "plotly+awa"
    for path in (ROOT / "awa" / "figures").glob("*.py"):
        if path.name == "common.py":
            continue
        text = path.read_text()
        assert 'linecolor="#888"' not in text, path.name
        assert '"linecolor": "#888"' not in text, path.name


def _numbers(path: Path) -> list[str]:
    """The number tokens of a module's code and the ``/`` between them (not its text)."""
    with path.open("rb") as handle:
        tokens = tokenize.tokenize(handle.readline)
        return [t.string for t in tokens if t.type == tokenize.NUMBER or t.string == "/"]


def test_figures_and_atlas_do_not_retype_the_channel_scales_or_box_count() -> None:
    paths = [*(ROOT / "awa" / "figures").glob("*.py"), ROOT / "data_build" / "atlas.py"]
    for path in paths:
        numbers = _numbers(path)
        assert "491" not in numbers, path.name
        assert "1019" not in numbers, path.name
        triples = zip(numbers, numbers[1:], numbers[2:], strict=False)
        pairs = {(float(a), float(b)) for a, op, b in triples if op == "/" and "/" not in (a, b)}
        assert not pairs & {(1500.0, 1023.0), (320.0, 1023.0)}, path.name
