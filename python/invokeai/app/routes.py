"""The HTTP API of InvokeAI, declared once.

``ROUTES`` is the single list of the JSON endpoints the server answers. The server
dispatches through it (see ``invokeai.app.server``) and the OpenAPI document is built
from it (see ``invokeai.app.openapi``), so an endpoint cannot be served without being
described. ``SCHEMAS`` holds the JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the
bodies those endpoints send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

API_PREFIX: Final = "/api"
VERSION_PATH: Final = "/api/v1/app/version"
OPENAPI_PATH: Final = "/openapi.json"

JSON_MEDIA_TYPE: Final = "application/json"

# The body of every JSON error the API sends, e.g. for a path under /api that names no endpoint.
ERROR_SCHEMA: Final = "ErrorDetail"
NOT_FOUND_DETAIL: Final = "Not Found"


@dataclass(frozen=True)
class Route:
    """One JSON endpoint: a GET (HEAD answers alike, without a body) at an exact path."""

    path: str
    operation_id: str
    """Unique name of the operation; the server maps it to the function that answers."""
    tag: str
    summary: str
    description: str
    response_schema: str
    """Name in ``SCHEMAS`` of the 200 response's JSON body."""
    response_description: str


SCHEMAS: Final[Mapping[str, Mapping[str, Any]]] = {
    "AppVersion": {
        "title": "AppVersion",
        "description": "The version of the running InvokeAI server.",
        "type": "object",
        "properties": {
            "version": {
                "title": "Version",
                "description": "The InvokeAI version, as published on PyPI (PEP 440).",
                "type": "string",
            },
        },
        "required": ["version"],
    },
    ERROR_SCHEMA: {
        "title": ERROR_SCHEMA,
        "description": "The body of a JSON error answer.",
        "type": "object",
        "properties": {
            "detail": {
                "title": "Detail",
                "description": "What went wrong, e.g. `Not Found`.",
                "type": "string",
            },
        },
        "required": ["detail"],
    },
    "OpenAPIDocument": {
        "title": "OpenAPIDocument",
        "description": "An OpenAPI 3.1 document describing this API.",
        "type": "object",
        "properties": {
            "openapi": {"description": "The OpenAPI version of the document.", "type": "string"},
            "info": {
                "description": "The API's title, version and description.",
                "type": "object",
                "additionalProperties": True,
            },
            "paths": {"description": "The endpoints, by path.", "type": "object", "additionalProperties": True},
            "components": {
                "description": "The schemas and responses the paths refer to.",
                "type": "object",
                "additionalProperties": True,
            },
        },
        "required": ["openapi", "info", "paths"],
    },
}

ROUTES: Final[tuple[Route, ...]] = (
    Route(
        path=VERSION_PATH,
        operation_id="get_app_version",
        tag="app",
        summary="Get the app version",
        description="The version of the InvokeAI server answering the request.",
        response_schema="AppVersion",
        response_description="The server's version.",
    ),
    Route(
        path=OPENAPI_PATH,
        operation_id="get_openapi",
        tag="meta",
        summary="Get this API's OpenAPI document",
        description="The OpenAPI 3.1 document describing every endpoint of this API, this one included.",
        response_schema="OpenAPIDocument",
        response_description="The OpenAPI document.",
    ),
)


def route_for(path: str) -> Route | None:
    """The route answering ``path`` exactly, if any."""
    return _BY_PATH.get(path)


_BY_PATH: Final[Mapping[str, Route]] = {route.path: route for route in ROUTES}
