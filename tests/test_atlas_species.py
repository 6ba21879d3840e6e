"""The atlas quick-look's species fractions panel (ME boxes per default species region)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from awa.chem import species
from data_build import atlas
from tests.builtstore import DAY, SimulatedStores


def test_hourly_species_fractions_equal_a_direct_sum(sim_store: SimulatedStores) -> None:
    rates = atlas.read_day_rates(sim_store.folder, DAY)
    science = rates.loc[rates["CSHK"] == 0, "SpinStartTime"]
    got = atlas.read_day_species(sim_store.folder, DAY, science)
    assert got is not None
    me = sim_store.me
    me = me[(me["CSHK"] == 0) & me["SpinStartTime"].isin(science)]
    counts = species.me_species_counts(me[list(range(512))].to_numpy())
    hours = me["SpinStartTime"].dt.hour.to_numpy()
    names = species.code_names(species.default_regions())
    o_plus = names.index("O+")
    for hour in (0, 10, 23):
        rows = counts[hours == hour]
        want = rows[:, o_plus].sum() / rows[:, :-1].sum()
        assert got.loc[hour, "O+"] == want
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    assert list(got.columns) == names[:-1]


def test_the_quick_look_has_the_species_panel(sim_store: SimulatedStores) -> None:
    rates = atlas.read_day_rates(sim_store.folder, DAY)
    fractions = atlas.read_day_species(sim_store.folder, DAY)
    fig = atlas.render_day(rates, DAY, fractions)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "species\n(% of ME)" in labels
    panel = fig.axes[labels.index("species\n(% of ME)")]
    tops = {}
    for patch in panel.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 3)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    assert isinstance(fractions, pd.DataFrame)
    assert abs(tops[10.5] - 100 * (1 - fractions.loc[10, "H+"])) < 1e-9
    empty = atlas.render_day(rates, DAY, None)
    assert "species\n(% of ME)" in [ax.get_ylabel() for ax in empty.axes]
