"""AWA: browse the AMPTE/CCE CHEM ion-composition data set in a web browser.

Importing ``awa`` stays light (the data build imports ``awa.chem.physics`` and ``awa.chem.schema``);
Dash is imported only by :func:`create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["create_app"]

if TYPE_CHECKING:
    import dash

    from awa.settings import Settings


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Create the AWA Dash app; ``app.server`` is its Flask server (for gunicorn).

    Parameters
    ----------
    settings : Settings, optional
        Defaults to ``Settings.from_env()`` (``AWA_*`` variables).
    """
    from awa.app import build_app
    from awa.settings import Settings

    return build_app(settings or Settings.from_env())
