"""The AWA data build: daily CHEM FITS files in, read-only HDF5 stores out.

Packages and modules, by job (``awa-build`` in :mod:`data_build.cli` wires them):

- :mod:`data_build.fits` opens and parses one daily file (:mod:`data_build.fits_day` holds
  what it returns, :mod:`data_build.fits_layout` the file layout);
- :mod:`data_build.verify` summarises files and their quirks;
- :mod:`data_build.simulate` writes simulated daily files in the same layout;
- :mod:`data_build.indices` reads and downloads Dst and Kp;
- :mod:`data_build.stores` builds the stores;
- :mod:`data_build.atlas` renders the quick-look images;
- :mod:`data_build.settings` holds what the build takes from the environment.

From the app package the build imports only :mod:`awa.chem`.
"""

__all__ = [
    "atlas",
    "cli",
    "fits",
    "fits_day",
    "fits_layout",
    "indices",
    "settings",
    "simulate",
    "stores",
    "verify",
]
