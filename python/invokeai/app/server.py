"""HTTP server for the InvokeAI API and the built web UI.

The server uses only the standard library. It answers the JSON endpoints declared in
``invokeai.app.routes`` (the API under ``/api`` and its OpenAPI document at
``/openapi.json``) and serves the single-page web UI from the package's
``invokeai/frontend/web/dist`` folder at every other path.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import os
import shutil
import socket
import socketserver
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any, Final
from urllib.parse import unquote

from invokeai.app.openapi import build_document
from invokeai.app.routes import API_PREFIX, NOT_FOUND_DETAIL, ROUTES, VERSION_PATH, Route, route_for
from invokeai.frontend.web import DIST_DIR
from invokeai.version import __version__

logger = logging.getLogger(__name__)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 9090
BUILD_COMMAND: Final = "cargo xtask frontend build"

# Types that matter for the web UI are fixed here rather than left to the platform's
# mimetypes database, which varies between systems.
_CONTENT_TYPES: Final[dict[str, str]] = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}

# Vite puts content-hashed files under assets/, so they never change once served.
_IMMUTABLE_CACHE: Final = "public, max-age=31536000, immutable"
_NO_CACHE: Final = "no-cache"


def _get_app_version() -> dict[str, Any]:
    return {"version": __version__}


# The function answering each route of ``ROUTES``, by operation id. The server reaches a
# function only through its route, so every endpoint is in the OpenAPI document.
_HANDLERS: Final[Mapping[str, Callable[[], dict[str, Any]]]] = {
    "get_app_version": _get_app_version,
    "get_openapi": build_document,
}


def _check_handlers(routes: Iterable[Route], handlers: Mapping[str, object]) -> None:
    """Fail at import if the route table and the handlers disagree."""
    declared = {route.operation_id for route in routes}
    if unrouted := sorted(set(handlers) - declared):
        raise RuntimeError(f"handlers without a route in invokeai.app.routes.ROUTES: {', '.join(unrouted)}")
    if unhandled := sorted(declared - set(handlers)):
        raise RuntimeError(f"routes without a handler in invokeai.app.server: {', '.join(unhandled)}")


_check_handlers(ROUTES, _HANDLERS)


def content_type_for(path: PurePosixPath | Path) -> str:
    """Return the Content-Type header value for a file served from the UI folder."""
    content_type = _CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    if content_type is None:
        return "application/octet-stream"
    if content_type.startswith("text/"):
        return f"{content_type}; charset=utf-8"
    return content_type


def ui_not_built_message(ui_dir: Path) -> str:
    """Explain that the web UI is missing and how to build it."""
    return (
        f"The InvokeAI web UI has not been built (no index.html in {ui_dir}). "
        f"Build it by running `{BUILD_COMMAND}` from the repository root, then restart invokeai-web. "
        "The API is available in the meantime."
    )


def _ui_not_built_page(ui_dir: Path) -> bytes:
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>InvokeAI - web UI not built</title>
</head>
<body>
<h1>The InvokeAI web UI has not been built</h1>
<p>No <code>index.html</code> was found in <code>{html.escape(str(ui_dir))}</code>.</p>
<p>Build it by running <code>{html.escape(BUILD_COMMAND)}</code> from the repository root,
then restart <code>invokeai-web</code>.</p>
<p>The API is available in the meantime, for example at
<a href="{VERSION_PATH}"><code>{VERSION_PATH}</code></a>.</p>
</body>
</html>
"""
    return page.encode("utf-8")


class InvokeAIServer(ThreadingHTTPServer):
    """Threaded HTTP server that serves the InvokeAI API and web UI."""

    daemon_threads = True
    # Do not wait for idle keep-alive connections when the server closes.
    block_on_close = False

    def __init__(self, host: str, port: int, ui_dir: Path) -> None:
        self.ui_dir = ui_dir.resolve()
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the fully qualified host name, which can stall
        # without DNS; the bound address is all this server needs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def ui_built(self) -> bool:
        """Whether the built web UI is present."""
        return (self.ui_dir / "index.html").is_file()

    @property
    def url(self) -> str:
        """Base URL of the server, using the bound port."""
        host = self.server_name
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_port}/"


class RequestHandler(BaseHTTPRequestHandler):
    """Handles one HTTP connection for :class:`InvokeAIServer`."""

    server: InvokeAIServer
    server_version = f"InvokeAI/{__version__}"
    protocol_version = "HTTP/1.1"
    # Close idle keep-alive connections after this many seconds.
    timeout = 60

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s - %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s - %s", self.address_string(), format % args)

    def _dispatch(self, *, head: bool) -> None:
        raw_path = self.path.split("?", 1)[0].split("#", 1)[0]
        path = unquote(raw_path)
        route = route_for(path)
        if route is not None:
            self._send_json(HTTPStatus.OK, _HANDLERS[route.operation_id](), head=head)
        elif path == API_PREFIX or path.startswith(f"{API_PREFIX}/"):
            self._send_json(HTTPStatus.NOT_FOUND, {"detail": NOT_FOUND_DETAIL}, head=head)
        else:
            self._handle_ui(path, head=head)

    # Web UI

    def _handle_ui(self, path: str, *, head: bool) -> None:
        target = self._resolve_ui_path(path)
        if target is None:
            self._send_not_found(head=head)
        elif target.is_file():
            self._send_file(target, head=head)
        elif not PurePosixPath(path).suffix:
            # Client-side routes of the single-page app all load index.html.
            self._send_index(head=head)
        else:
            self._send_not_found(head=head)

    def _resolve_ui_path(self, path: str) -> Path | None:
        """Map a URL path to a path inside the UI folder, or None if it would escape it."""
        ui_dir = self.server.ui_dir
        relative = path.lstrip("/")
        if "\x00" in relative or "\\" in relative:
            return None
        try:
            candidate = (ui_dir / relative).resolve()
        except (OSError, RuntimeError):
            return None
        if not candidate.is_relative_to(ui_dir):
            return None
        return candidate

    def _send_index(self, *, head: bool) -> None:
        index = self.server.ui_dir / "index.html"
        if index.is_file():
            self._send_file(index, head=head)
        else:
            body = _ui_not_built_page(self.server.ui_dir)
            self._send_bytes(HTTPStatus.SERVICE_UNAVAILABLE, body, "text/html; charset=utf-8", head=head)

    def _send_file(self, file: Path, *, head: bool) -> None:
        try:
            stream = file.open("rb")
        except OSError:
            self._send_not_found(head=head)
            return
        with stream:
            size = os.fstat(stream.fileno()).st_size
            parts = file.relative_to(self.server.ui_dir).parts
            in_assets = len(parts) > 1 and parts[0] == "assets"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type_for(file))
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", _IMMUTABLE_CACHE if in_assets else _NO_CACHE)
            self.end_headers()
            if head:
                return
            try:
                shutil.copyfileobj(stream, self.wfile)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    # Responses

    def _send_not_found(self, *, head: bool) -> None:
        self._send_bytes(HTTPStatus.NOT_FOUND, b"Not Found\n", "text/plain; charset=utf-8", head=head)

    def _send_json(self, status: HTTPStatus, payload: dict[str, Any], *, head: bool) -> None:
        body = json.dumps(payload).encode("utf-8")
        self._send_bytes(status, body, "application/json", head=head)

    def _send_bytes(self, status: HTTPStatus, body: bytes, content_type: str, *, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", _NO_CACHE)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    ui_dir: Path | str | None = None,
) -> InvokeAIServer:
    """Create a server bound to ``host:port``, ready for ``serve_forever()``.

    ``port`` 0 binds a free ephemeral port; read it back from ``server.server_port``.
    ``ui_dir`` is the folder holding the built web UI; it defaults to the package's
    ``invokeai/frontend/web/dist``.

    Raises ValueError for a port outside 0-65535 and OSError when the address cannot be bound.
    """
    if not 0 <= port <= 65535:
        raise ValueError("port must be 0-65535")
    server = InvokeAIServer(host, port, DIST_DIR if ui_dir is None else Path(ui_dir))
    if not server.ui_built:
        logger.warning(ui_not_built_message(server.ui_dir))
    return server
