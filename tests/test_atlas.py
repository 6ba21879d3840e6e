"""Quick-look atlas: images per day from the stores, index, thumbnails, errors."""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from data_build import atlas, stores
from tests import fitsfactory as ff


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("atlas")
    files = []
    for i, start in enumerate(["1986-02-09T01:00:00", "1986-02-10T05:00:00"]):
        cols = ff.default_columns(20, start=ff.seconds(start), seed=i)
        files.append(ff.write_fits(ff.build_hdul(cols), tmp / f"1986_04{i}.fits.gz"))
    kp_t = pd.date_range("1986-02-08", "1986-02-12", freq="3h")
    kp = pd.Series(np.linspace(1, 8.667, len(kp_t)), index=kp_t)
    out = tmp / "stores"
    stores.build_stores(files, out, kp=kp, progress=None)
    return out


def test_atlas_renders_each_day(store_dir: Path, tmp_path: Path) -> None:
    result = atlas.build_atlas(store_dir, tmp_path / "atlas", progress=None)
    assert result.days == ["1986-02-09", "1986-02-10"]
    assert result.empty_days == []
    index = json.loads((tmp_path / "atlas" / "index.json").read_text())
    assert [d["date"] for d in index["days"]] == result.days
    for day in result.days:
        image = tmp_path / "atlas" / f"{day}.png"
        thumb = tmp_path / "atlas" / "thumbs" / f"{day}.png"
        assert _png_size(image) == (1200, 1000)
        w, h = _png_size(thumb)
        assert (w, h) == (288, 240)
        pixels = imread(image)
        # a real plot: many distinct colours, not a blank canvas
        assert np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0).shape[0] > 50


def test_atlas_day_without_data_says_so(store_dir: Path, tmp_path: Path) -> None:
    result = atlas.build_atlas(
        store_dir, tmp_path / "atlas", days=[dt.date(1986, 2, 20)], progress=None
    )
    assert result.empty_days == ["1986-02-20"]
    assert (tmp_path / "atlas" / "1986-02-20.png").exists()


def test_atlas_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(atlas.AtlasError, match="build the stores first"):
        atlas.build_atlas(tmp_path, tmp_path / "atlas", progress=None)
