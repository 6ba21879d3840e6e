"""The HAPI endpoints of AWA (``/hapi``): about, capabilities, catalog, info and data.

Requests are parsed once, at the edge, into a :class:`DataRequest`; anything wrong becomes a
:class:`~awa.hapi.errors.HapiError` answered with the HAPI status JSON and the matching HTTP
status.  Data responses are streamed chunk by chunk from :mod:`awa.hapi.sources` (memory
bounded by one chunk); when the client goes away the server stops writing, the generator is
closed and no further chunk is read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, stream_with_context

from awa import query
from awa.hapi import datasets as ds
from awa.hapi.encode import binary_chunk, binary_dtype, csv_chunk, json_chunk
from awa.hapi.errors import HAPI_VERSION, STATUS, HapiError, status_object
from awa.hapi.model import TIME_NAME, TIME_PARAMETER_INFO, Dataset, Parameter
from awa.hapi.times import format_time, parse_time
from awa.settings import Settings

FORMATS = ("csv", "binary", "json")
#: Bytes of records read per chunk (the chunk's rows follow from the record size).
CHUNK_BYTES = 4 << 20
_INFO_KEYS = frozenset({"dataset", "id", "parameters"})
_DATA_KEYS = _INFO_KEYS | {"start", "stop", "time.min", "time.max", "format", "include"}
_NS = 1_000_000_000
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataRequest:
    """A checked data request: dataset, parameters in ``info`` order, ``[start, stop)``."""

    dataset: Dataset
    parameters: tuple[Parameter, ...]
    start: datetime
    stop: datetime
    format: str
    header: bool


def _ns(t: datetime) -> int:
    return query.to_ns(t)


def _only(args: Mapping[str, str], allowed: frozenset[str]) -> None:
    unknown = [k for k in args if k not in allowed]
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise HapiError(1401, f"unknown parameter {', '.join(unknown)}; accepted: {accepted}")


def _dataset(args: Mapping[str, str]) -> Dataset:
    if "dataset" in args and "id" in args:
        raise HapiError(1400, "give dataset (or the older id), not both")
    name = args.get("dataset", args.get("id"))
    if not name:
        raise HapiError(1400, "no dataset given (parameter dataset)")
    try:
        return ds.catalog()[name]
    except KeyError:
        known = ", ".join(ds.catalog())
        raise HapiError(1406, f"no dataset {name!r}; the datasets are {known}") from None


def select_parameters(dataset: Dataset, text: str | None) -> tuple[Parameter, ...]:
    """The parameters named in ``text`` (comma-separated, in ``info`` order), all when empty.

    ``Time`` may be named (first); it is always sent.

    Raises
    ------
    HapiError
        1407 for an unknown name, 1411 for a repeated name or one out of ``info`` order.
    """
    if text is None or text.strip() == "":
        return dataset.parameters
    names = [n.strip() for n in text.split(",")]
    order = {p.name: i for i, p in enumerate(dataset.parameters, start=1)}
    order[TIME_NAME] = 0
    unknown = [n for n in names if n not in order]
    if unknown:
        raise HapiError(
            1407, f"{dataset.id} has no parameter {', '.join(map(repr, unknown))}; its "
            f"parameters are {', '.join([TIME_NAME, *dataset.names])}"
        )  # fmt: skip
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise HapiError(1411, f"parameter {', '.join(twice)} named more than once")
    ranks = [order[n] for n in names]
    if ranks != sorted(ranks):
        raise HapiError(
            1411, f"parameters must follow the order of info: {', '.join(dataset.names)}"
        )
    return tuple(p for p in dataset.parameters if p.name in names)


def parse_data_request(args: Mapping[str, str]) -> DataRequest:
    """Check the query of a data request (HAPI 3.1: dataset, parameters, start/stop or
    time.min/time.max, format, include).

    Raises
    ------
    HapiError
        With the status code of the first problem found.
    """
    _only(args, _DATA_KEYS)
    dataset = _dataset(args)
    times = {}
    for key, old, code in (("start", "time.min", 1402), ("stop", "time.max", 1403)):
        if key in args and old in args:
            raise HapiError(1400, f"give {key} (or the older {old}), not both")
        text = args.get(key, args.get(old))
        if not text:
            raise HapiError(code, f"no {key} time given")
        try:
            times[key] = parse_time(text)
        except ValueError as exc:
            raise HapiError(code, str(exc)) from None
    if not times["start"] < times["stop"]:
        raise HapiError(1404, f"start {args.get('start', args.get('time.min'))} is not before "
                              f"stop {args.get('stop', args.get('time.max'))}")  # fmt: skip
    params = select_parameters(dataset, args.get("parameters"))
    fmt = args.get("format", "csv") or "csv"
    if fmt not in FORMATS:
        raise HapiError(1409, f"format {fmt!r}; accepted: {', '.join(FORMATS)}")
    include = args.get("include", "")
    if include not in ("", "header"):
        raise HapiError(1410, f"include={include!r}; the only value is include=header")
    return DataRequest(dataset, params, times["start"], times["stop"], fmt, include == "header")


def info_body(data_dir: Path, dataset: Dataset, params: tuple[Parameter, ...]) -> dict[str, Any]:
    """The ``info`` response of ``dataset`` restricted to ``params`` (units from the store).

    Raises
    ------
    HapiError
        1500 when the dataset's store holds no record.
    """
    span = dataset.source.span(data_dir)
    if span is None:
        raise HapiError(1500, f"the store of {dataset.id} holds no record")
    units = ds.store_units(data_dir, dataset)
    first = query.from_ns(span[0]).replace(microsecond=0)
    stop = query.from_ns(-(-span[1] // _NS) * _NS)
    sample_stop = min(query.from_ns(_ns(first) + dataset.sample_seconds * _NS), stop)
    parameters: list[dict[str, Any]] = [dict(TIME_PARAMETER_INFO)]
    for p in params:
        q = ds.column_parameter(p.name, units[p.name]) if p.name in units else p
        parameters.append({**p.info(), "units": q.units, "description": q.description})
    return {
        "HAPI": HAPI_VERSION,
        "status": status_object(1200),
        "startDate": format_time(first),
        "stopDate": format_time(stop),
        "sampleStartDate": format_time(first),
        "sampleStopDate": format_time(sample_stop),
        "cadence": dataset.cadence,
        "timeStampLocation": "begin",
        "description": dataset.description,
        "parameters": parameters,
    }


def check_size(req: DataRequest, data_dir: Path, limit_mb: float) -> int:
    """Records of the request; refuse it (1405, 1408) before anything is streamed.

    Raises
    ------
    HapiError
        1405 when the request does not meet the dataset's time range; 1408 when its binary
        size (records x record bytes) exceeds ``limit_mb``.
    """
    span = req.dataset.source.span(data_dir)
    t0, t1 = _ns(req.start), _ns(req.stop)
    if span is None or t1 <= span[0] or t0 >= span[1]:
        have = (
            "no records"
            if span is None
            else f"{format_time(query.from_ns(span[0]))} to {format_time(query.from_ns(span[1]))}"
        )
        raise HapiError(1405, f"{req.dataset.id} holds {have}")  # fmt: skip
    rows = req.dataset.source.count(data_dir, t0, t1)
    size = rows * binary_dtype(req.parameters).itemsize
    if size > limit_mb * 1e6:
        raise HapiError(
            1408, f"the request holds {rows:,} records, about {size / 1e6:,.1f} MB, more than "
            f"the limit of {limit_mb:g} MB (AWA_HAPI_MAX_MB); ask for a shorter time range or "
            "fewer parameters"
        )  # fmt: skip
    return rows


def stream(req: DataRequest, data_dir: Path, chunk_rows: int) -> Iterator[bytes]:
    """The body of a data response, chunk by chunk (header first when asked, JSON always)."""
    names = tuple(p.name for p in req.parameters)
    record = binary_dtype(req.parameters).itemsize
    rows = max(1, min(chunk_rows, CHUNK_BYTES // record))
    info = info_body(data_dir, req.dataset, req.parameters)
    info["format"] = req.format
    chunks = req.dataset.source.chunks(data_dir, _ns(req.start), _ns(req.stop), names, rows)
    try:
        if req.format == "json":
            head = json.dumps(info, indent=1)
            yield (head[: head.rfind("}")].rstrip() + ',\n"data": [\n').encode()
            first = True
            for times, values in chunks:
                if len(times):
                    yield json_chunk(times, values, req.parameters, first)
                    first = False
            yield b"\n]}\n"
            return
        if req.header:
            lines = json.dumps(info, indent=1).splitlines()
            yield "".join("#" + line + "\n" for line in lines).encode()
        encode = csv_chunk if req.format == "csv" else binary_chunk
        for times, values in chunks:
            if len(times):
                yield encode(times, values, req.parameters)
    finally:
        # the client went away (or the body is done): read no further chunk
        chunks.close()


def error_response(exc: HapiError) -> Response:
    """The HAPI status JSON of ``exc`` with its HTTP status (the reason phrase names the code)."""
    body = {"HAPI": HAPI_VERSION, "status": status_object(exc.code, exc.message)}
    response = Response(json.dumps(body, indent=1) + "\n", mimetype="application/json")
    # the reason phrase names the code with its standard text only: no user text in a header
    response.status = f"{exc.http_status} HAPI {exc.code} {STATUS[exc.code][0]}"
    return response


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, indent=1) + "\n", mimetype="application/json")


def make_blueprint(settings: Settings) -> Blueprint:
    """The ``/hapi`` routes bound to ``settings`` (store folder, size limit, chunk rows)."""
    bp = Blueprint("awa_hapi", __name__, url_prefix="/hapi")
    data_dir = Path(settings.data_dir)

    @bp.after_request
    def _cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        return response

    @bp.errorhandler(HapiError)
    def _hapi_error(exc: HapiError) -> Response:
        return error_response(exc)

    @bp.errorhandler(query.StoreMissingError)
    def _missing(exc: query.StoreMissingError) -> Response:
        return error_response(HapiError(1500, str(exc)))

    @bp.errorhandler(Exception)
    def _internal(exc: Exception) -> Response:
        logger.exception("HAPI request %s failed", request.full_path)
        return error_response(HapiError(1500, f"{type(exc).__name__} (logged by the server)"))

    @bp.route("/")
    @bp.route("")
    def landing() -> Response:
        items = "".join(f"<li>{d.id}: {d.title}</li>" for d in ds.catalog().values())
        html = (
            "<html><body><h1>AWA HAPI server</h1><p>HAPI 3.1 endpoints: about, capabilities, "
            "catalog, info?dataset=..., data?dataset=...&amp;start=...&amp;stop=...</p>"
            f"<ul>{items}</ul></body></html>"
        )
        return Response(html, mimetype="text/html")

    @bp.route("/about")
    def about() -> Response:
        _only(request.args, frozenset())
        return _json({
            "HAPI": HAPI_VERSION, "status": status_object(1200),
            "id": "AWA/AMPTE-CCE-CHEM", "title": "AWA: AMPTE/CCE CHEM data",
            "contact": "the operators of this AWA server",
            "description": "AMPTE/CCE CHEM ion composition (1984-1989): rates, housekeeping, "
                           "matrix elements, species counts, Dst and Kp as merged.",
        })  # fmt: skip

    @bp.route("/capabilities")
    def capabilities() -> Response:
        _only(request.args, frozenset())
        return _json({"HAPI": HAPI_VERSION, "status": status_object(1200),
                      "outputFormats": list(FORMATS)})  # fmt: skip

    @bp.route("/catalog")
    def catalog() -> Response:
        _only(request.args, frozenset())
        items = [{"id": d.id, "title": d.title} for d in ds.catalog().values()]
        return _json({"HAPI": HAPI_VERSION, "status": status_object(1200), "catalog": items})

    @bp.route("/info")
    def info() -> Response:
        _only(request.args, _INFO_KEYS)
        dataset = _dataset(request.args)
        params = select_parameters(dataset, request.args.get("parameters"))
        return _json(info_body(data_dir, dataset, params))

    @bp.route("/data")
    def data() -> Response:
        req = parse_data_request(request.args)
        check_size(req, data_dir, settings.hapi_max_mb)
        body = stream(req, data_dir, settings.chunk_rows)
        mimetype = {"csv": "text/csv", "binary": "application/octet-stream",
                    "json": "application/json"}[req.format]  # fmt: skip
        return Response(stream_with_context(body), mimetype=mimetype)

    return bp
