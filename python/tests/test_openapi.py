"""The OpenAPI document: valid OpenAPI 3.1, complete, served, printed stably."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from typing import Any

import pytest
from helpers import Client, cli_command, cli_env
from openapi_schema_validator import OAS31Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_spec

from invokeai.app import server
from invokeai.app.openapi import OPENAPI_VERSION, build_document, to_json
from invokeai.app.routes import OPENAPI_PATH, ROUTES, SCHEMAS, VERSION_PATH, Route
from invokeai.version import __version__

EXAMPLE = ROUTES[0]


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A component schema, standalone: with the document's components for its $refs."""
    return {**document["components"]["schemas"][name], "components": document["components"]}


def test_document_is_valid_openapi_3_1() -> None:
    document = build_document()
    assert document["openapi"] == OPENAPI_VERSION == "3.1.0"
    validate_spec(document, cls=OpenAPIV31SpecValidator)


def test_validator_rejects_a_broken_document() -> None:
    """The validation above can fail: a dangling $ref is refused."""
    document = build_document()
    document["paths"][VERSION_PATH]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    with pytest.raises(Exception, match="Missing"):
        validate_spec(document, cls=OpenAPIV31SpecValidator)


def test_info_names_the_app_and_its_version() -> None:
    info = build_document()["info"]
    assert info["title"] == "InvokeAI"
    assert info["version"] == __version__
    assert "web UI is not listed" in info["description"]


def test_every_route_is_a_path_and_nothing_else() -> None:
    paths = build_document()["paths"]
    assert set(paths) == {route.path for route in ROUTES}
    assert set(paths) == {VERSION_PATH, OPENAPI_PATH}
    for route in ROUTES:
        operation = paths[route.path]["get"]
        assert list(paths[route.path]) == ["get"]
        assert operation["operationId"] == route.operation_id
        response = operation["responses"]["200"]["content"]["application/json"]
        assert response["schema"] == {"$ref": f"#/components/schemas/{route.response_schema}"}


def test_every_served_handler_has_a_route() -> None:
    assert set(server._HANDLERS) == {route.operation_id for route in ROUTES}


def test_a_handler_without_a_route_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"handlers without a route.*: get_extra"):
        server._check_handlers(ROUTES, {**server._HANDLERS, "get_extra": object()})


def test_a_route_without_a_handler_is_refused() -> None:
    handlers = {name: h for name, h in server._HANDLERS.items() if name != "get_openapi"}
    with pytest.raises(RuntimeError, match=r"routes without a handler.*: get_openapi"):
        server._check_handlers(ROUTES, handlers)


def test_app_version_schema() -> None:
    schema = build_document()["components"]["schemas"]["AppVersion"]
    assert schema["type"] == "object"
    assert schema["properties"]["version"]["type"] == "string"
    assert schema["required"] == ["version"]


def test_error_schema_and_not_found_response() -> None:
    components = build_document()["components"]
    schema = components["schemas"]["ErrorDetail"]
    assert schema["properties"]["detail"]["type"] == "string"
    assert schema["required"] == ["detail"]
    content = components["responses"]["NotFound"]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.path)
def test_served_bodies_match_their_schemas(client: Client, route: Route) -> None:
    response = client.get(route.path)
    assert response.status == 200
    assert response.media_type == "application/json"
    validate_instance(response.json(), schema_of(build_document(), route.response_schema), cls=OAS31Validator)


def test_not_found_body_matches_the_error_schema(client: Client) -> None:
    response = client.get("/api/v1/nope")
    assert response.status == 404
    validate_instance(response.json(), schema_of(build_document(), "ErrorDetail"), cls=OAS31Validator)


def test_schema_check_catches_a_wrong_body() -> None:
    with pytest.raises(Exception, match="'version' is a required property"):
        validate_instance({"detail": "x"}, schema_of(build_document(), "AppVersion"), cls=OAS31Validator)


def test_openapi_json_is_served(client: Client) -> None:
    response = client.get(OPENAPI_PATH)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.json() == build_document()


def test_openapi_json_answers_head(client: Client) -> None:
    get = client.get(OPENAPI_PATH)
    head = client.head(OPENAPI_PATH)
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))


def test_openapi_json_is_served_without_a_built_ui(unbuilt_client: Client) -> None:
    assert unbuilt_client.get(OPENAPI_PATH).json() == build_document()


def test_module_prints_stable_sorted_json() -> None:
    result = subprocess.run(
        cli_command(module="invokeai.app.openapi"),
        env=cli_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    text = result.stdout.decode("utf-8")
    assert text == to_json(build_document())
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert text.startswith('{\n  "components": {\n')
    assert json.loads(text) == build_document()


def test_to_json_sorts_keys_at_every_level() -> None:
    assert to_json({"b": {"z": 1, "a": 2}, "a": []}) == '{\n  "a": [],\n  "b": {\n    "a": 2,\n    "z": 1\n  }\n}\n'


def test_each_document_is_a_fresh_copy() -> None:
    first = build_document()
    first["components"]["schemas"]["AppVersion"]["required"].append("extra")
    assert build_document()["components"]["schemas"]["AppVersion"]["required"] == ["version"]
    assert SCHEMAS["AppVersion"]["required"] == ["version"]


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ((EXAMPLE, EXAMPLE), "two routes serve /api/v1/app/version"),
        ((EXAMPLE, replace(EXAMPLE, path="/api/v1/other")), "two routes are named get_app_version"),
        ((replace(EXAMPLE, response_schema="Nope"),), "unknown schema Nope"),
    ],
)
def test_inconsistent_route_tables_are_refused(routes: tuple[Route, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_document(routes)
