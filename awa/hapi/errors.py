"""HAPI status codes, their messages and HTTP statuses (HAPI 3.1, section "status codes")."""

from __future__ import annotations

#: HAPI version this server declares in every JSON response.
HAPI_VERSION = "3.1"

#: HAPI status code -> (standard message, HTTP status).
STATUS: dict[int, tuple[str, int]] = {
    1200: ("OK", 200),
    1201: ("OK - no data for time range", 200),
    1400: ("Bad request - user input error", 400),
    1401: ("Bad request - unknown API parameter name", 400),
    1402: ("Bad request - error in start time", 400),
    1403: ("Bad request - error in stop time", 400),
    1404: ("Bad request - start time equal to or after stop time", 400),
    1405: ("Bad request - time outside valid range", 400),
    1406: ("Bad request - unknown dataset id", 404),
    1407: ("Bad request - unknown dataset parameter", 404),
    1408: ("Bad request - too much time or data requested", 400),
    1409: ("Bad request - unsupported output format", 400),
    1410: ("Bad request - unsupported include value", 400),
    1411: ("Bad request - out of order or duplicate parameters", 400),
    1500: ("Internal server error", 500),
}


class HapiError(Exception):
    """A request the server refuses, with its HAPI status code and a message for the user.

    Parameters
    ----------
    code : int
        A key of :data:`STATUS` (1400-1500).
    detail : str
        What was wrong and what is accepted; appended to the standard message.
    """

    def __init__(self, code: int, detail: str = "") -> None:
        if code not in STATUS:
            raise ValueError(f"no HAPI status {code}")
        self.code = code
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The standard message of the code, then the detail."""
        text = STATUS[self.code][0]
        return f"{text}: {self.detail}" if self.detail else text

    @property
    def http_status(self) -> int:
        """HTTP status of the code (400, 404 or 500)."""
        return STATUS[self.code][1]


def status_object(code: int, message: str | None = None) -> dict[str, object]:
    """The ``status`` member of a HAPI JSON response."""
    return {"code": code, "message": message if message is not None else STATUS[code][0]}
