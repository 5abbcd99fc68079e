"""The OpenAPI 3.1 document of the InvokeAI HTTP API.

The document is built from the route table in ``invokeai.app.routes``, the same table
the server dispatches through, so it lists every endpoint the server answers. The
server also serves it at ``GET /openapi.json``.

``python -m invokeai.app.openapi`` prints it as stable JSON (sorted keys, two-space
indent, trailing newline); the front end's API types are generated from that output.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final

from invokeai.app.routes import (
    API_PREFIX,
    ERROR_SCHEMA,
    JSON_MEDIA_TYPE,
    ROUTES,
    SCHEMAS,
    Route,
)
from invokeai.version import __version__

OPENAPI_VERSION: Final = "3.1.0"
TITLE: Final = "InvokeAI"

# The web UI is left out of the paths on purpose; the description says why.
DESCRIPTION: Final = f"""\
The HTTP API of the InvokeAI server.

Every endpoint answers `GET`, and `HEAD` with the same status and headers but no body.
Any other path under `{API_PREFIX}/` answers 404 with an `{ERROR_SCHEMA}` JSON body
(the `NotFound` response).

The web UI is not listed: the server sends it at every path outside `{API_PREFIX}/` and
`/openapi.json`, as the static files of the UI build (whose content-hashed names change
with every build), and sends `index.html` for the UI's own client-side routes. Those are
pages and assets for the browser rather than API operations.
"""


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_content(schema_name: str) -> dict[str, Any]:
    return {JSON_MEDIA_TYPE: {"schema": _schema_ref(schema_name)}}


def _operation(route: Route) -> dict[str, Any]:
    return {
        "operationId": route.operation_id,
        "tags": [route.tag],
        "summary": route.summary,
        "description": route.description,
        "responses": {
            "200": {
                "description": route.response_description,
                "content": _json_content(route.response_schema),
            },
        },
    }


def build_document(
    routes: Iterable[Route] = ROUTES,
    schemas: Mapping[str, Mapping[str, Any]] = SCHEMAS,
) -> dict[str, Any]:
    """Build the OpenAPI document of ``routes``, whose bodies are described in ``schemas``.

    Raises ValueError if two routes share a path or an operation id, or if a route names
    a schema that ``schemas`` lacks.
    """
    paths: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for route in routes:
        if route.path in paths:
            raise ValueError(f"two routes serve {route.path}")
        if route.operation_id in operation_ids:
            raise ValueError(f"two routes are named {route.operation_id}")
        if route.response_schema not in schemas:
            raise ValueError(f"{route.path} answers with the unknown schema {route.response_schema}")
        operation_ids.add(route.operation_id)
        paths[route.path] = {"get": _operation(route)}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": __version__,
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": {name: copy.deepcopy(dict(schema)) for name, schema in schemas.items()},
            "responses": {
                "NotFound": {
                    "description": f"No endpoint at this path under {API_PREFIX}/.",
                    "content": _json_content(ERROR_SCHEMA),
                },
            },
        },
    }


def to_json(document: Mapping[str, Any]) -> str:
    """Serialize ``document`` stably: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> int:
    """Print the OpenAPI document to stdout, byte for byte as ``to_json`` makes it."""
    sys.stdout.buffer.write(to_json(build_document()).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
