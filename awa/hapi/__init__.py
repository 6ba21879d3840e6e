"""A HAPI 3.1 server for AWA's stores (``/hapi`` on the app's Flask server).

- :mod:`~awa.hapi.errors`: status codes, messages, HTTP statuses;
- :mod:`~awa.hapi.times`: HAPI's restricted ISO 8601 times;
- :mod:`~awa.hapi.model`: parameters and datasets;
- :mod:`~awa.hapi.sources`: chunked readers of the stores (through :mod:`awa.query`);
- :mod:`~awa.hapi.datasets`: the datasets of AWA;
- :mod:`~awa.hapi.encode`: CSV, binary and JSON records;
- :mod:`~awa.hapi.server`: the Flask blueprint.
"""

from awa.hapi.datasets import catalog
from awa.hapi.errors import HAPI_VERSION, HapiError
from awa.hapi.server import make_blueprint

__all__ = ["HAPI_VERSION", "HapiError", "catalog", "make_blueprint"]
