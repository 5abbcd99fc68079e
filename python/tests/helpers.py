"""Shared test helpers: an in-process server and a small HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invokeai.app.server import InvokeAIServer, make_server

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"

INDEX_HTML = '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head></html>\n'
APP_JS = 'console.log("invoke");\n'
APP_CSS = "body { margin: 0; }\n"
LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'
SECRET = "not part of the web UI\n"


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """Sends raw request paths, unlike urllib, which would not allow testing `..` segments."""

    def __init__(self, server: InvokeAIServer) -> None:
        self.host = server.server_name
        self.port = server.server_port

    def request(self, path: str, method: str = "GET") -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request(path)

    def head(self, path: str) -> Response:
        return self.request(path, method="HEAD")


@contextmanager
def running_server(ui_dir: Path) -> Iterator[InvokeAIServer]:
    """Run a server on an ephemeral loopback port in a background thread."""
    server = make_server(LOOPBACK, 0, ui_dir=ui_dir)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def cli_command(*args: str, module: str = "invokeai.app.run_app") -> list[str]:
    return [sys.executable, "-m", module, *args]


def cli_env() -> dict[str, str]:
    """Environment in which the subprocess imports this source tree's package."""
    env = dict(os.environ)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PACKAGE_ROOT) if not existing else os.pathsep.join([str(PACKAGE_ROOT), existing])
    env["PYTHONUNBUFFERED"] = "1"
    return env
