"""The JSON responses of ``/hapi`` (about, capabilities, catalog, info, data in JSON) checked
against the HAPI 3.1 JSON schema.

The official schema (``HAPI-data-access-schema-3.1.json`` of the HAPI project's schema
repository) carries no licence, so it is not shipped here: its tests read it from the file
named by ``AWA_HAPI_SCHEMA`` and skip with that reason when it is not given.  The rules below
(``RULES``) are the project's own statement of the 3.1 requirements that every response
must meet, checked always.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from awa.app import build_app
from awa.settings import Settings

#: HAPI response times: a date (calendar or day of year) with a time of day and a Z.
_TIME = r"^\d{4}-(\d{2}-\d{2}|\d{3})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"
_STATUS = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"enum": [1200, 1201]}, "message": {"type": "string"}},
}
_COMMON = {"HAPI": {"const": "3.1"}, "status": _STATUS}
_PARAMETER = {
    "type": "object",
    "required": ["name", "type", "units", "fill"],
    "patternProperties": {"^x_": {}},
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]*$"},
        "type": {"enum": ["double", "integer", "isotime"]},
        "units": {"type": ["string", "null"]},
        "fill": {"type": ["string", "null"]},
        "length": {"type": "integer"},
        "size": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "description": {"type": "string"},
        "label": {"type": "string"},
        "bins": {"type": "array", "items": {"type": "object", "required": ["name", "units"]}},
    },
}
RULES: dict[str, dict[str, Any]] = {
    "about": {"type": "object", "required": ["HAPI", "status", "id", "title", "contact"],
              "properties": _COMMON},
    "capabilities": {"type": "object", "required": ["HAPI", "status", "outputFormats"],
                     "properties": {**_COMMON, "outputFormats": {
                         "type": "array", "items": {"enum": ["csv", "binary", "json"]}}}},
    "catalog": {"type": "object", "required": ["HAPI", "status", "catalog"],
                "properties": {**_COMMON, "catalog": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["id"]}}}},
    "info": {"type": "object",
             "required": ["HAPI", "status", "startDate", "stopDate", "parameters"],
             "patternProperties": {"^x_": {}},
             "additionalProperties": False,
             "properties": {
                 **_COMMON,
                 **{k: {"type": "string", "pattern": _TIME} for k in (
                     "startDate", "stopDate", "sampleStartDate", "sampleStopDate")},
                 "format": {"enum": ["csv", "binary", "json"]},
                 "cadence": {"type": "string", "pattern": r"^P"},
                 "timeStampLocation": {"enum": ["begin", "center", "end", "other"]},
                 "description": {"type": "string"},
                 "parameters": {"type": "array", "minItems": 2, "items": _PARAMETER},
             }},
}  # fmt: skip

DATASETS = ["CHEM_RATES_SPIN", "CHEM_HK_CYCLE", "CHEM_ME_CYCLE", "CHEM_ME_SPECIES_CYCLE",
            "CHEM_PHA_SPECIES_CYCLE", "CHEM_DST_1H", "CHEM_KP_3H"]  # fmt: skip


def _responses(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """(schema name, body) of every JSON response kind, the data JSON without its rows."""
    client = build_app(settings).server.test_client()
    out = [(name, client.get(f"/hapi/{name}").get_json())
           for name in ("about", "capabilities", "catalog")]  # fmt: skip
    for dataset in DATASETS:
        out.append(("info", client.get(f"/hapi/info?dataset={dataset}").get_json()))
        r = client.get(f"/hapi/data?dataset={dataset}&start=1986-039T09:00Z"
                       "&stop=1986-039T12:00Z&format=json")  # fmt: skip
        body = json.loads(r.get_data())
        rows = body.pop("data")
        widths = {1 + sum(int(p.get("size", [1])[0]) for p in body["parameters"][1:])}
        assert rows
        assert {len(_flat(row)) for row in rows} == widths
        out.append(("info", body))
    return out


def _flat(row: list[Any]) -> list[Any]:
    return [x for v in row for x in (v if isinstance(v, list) else [v])]


def test_responses_meet_the_hapi_3_1_rules(store_settings: Settings) -> None:
    for name, body in _responses(store_settings):
        jsonschema.validate(body, RULES[name])


def _official() -> dict[str, Any]:
    path = os.environ.get("AWA_HAPI_SCHEMA")
    if not path or not Path(path).is_file():
        pytest.skip(
            "the official HAPI 3.1 schema has no licence and is not shipped: set AWA_HAPI_SCHEMA "
            "to a copy of HAPI-data-access-schema-3.1.json to run this test"
        )
    schema: dict[str, Any] = json.loads(Path(path).read_text())
    return schema


def test_responses_validate_against_the_official_schema(store_settings: Settings) -> None:
    schema = _official()
    # the schema's parts name each other by their "id" (``/HAPI``, ``/HAPIStatus``, ...)
    registry: Registry[Any] = Registry().with_resources(
        (part["id"], Resource.from_contents(part, default_specification=DRAFT7))
        for part in schema.values()
        if isinstance(part, dict) and "id" in part
    )
    for name, body in _responses(store_settings):
        validator = jsonschema.Draft7Validator(schema[name], registry=registry)
        errors = [e.message for e in validator.iter_errors(body)]
        assert errors == [], (name, errors[:3])
    # the check has teeth: a wrong version and a bad time are refused
    about = dict(_responses(store_settings)[0][1], HAPI="3.9")
    assert list(jsonschema.Draft7Validator(schema["about"], registry=registry).iter_errors(about))
