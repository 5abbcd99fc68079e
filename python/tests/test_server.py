from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers import APP_CSS, APP_JS, INDEX_HTML, LOGO_SVG, SECRET, Client, running_server

from invokeai.app.server import BUILD_COMMAND, content_type_for, make_server
from invokeai.frontend.web import DIST_DIR
from invokeai.version import __version__


def test_version_endpoint(client: Client) -> None:
    response = client.get("/api/v1/app/version")
    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.json() == {"version": __version__}


def test_version_endpoint_head(client: Client) -> None:
    get = client.get("/api/v1/app/version")
    head = client.head("/api/v1/app/version")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))


def test_version_matches_release() -> None:
    assert __version__ == "6.15.0rc1"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api", "/api/", "/api/v1/app/version/extra"])
def test_unknown_api_path_is_json_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status == 404
    assert response.content_type == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_root_serves_index(client: Client) -> None:
    response = client.get("/")
    assert response.status == 200
    assert response.media_type == "text/html"
    assert response.text == INDEX_HTML
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "media_type", "content"),
    [
        ("/assets/app.js", "text/javascript", APP_JS),
        ("/assets/app.css", "text/css", APP_CSS),
        ("/logo.svg", "image/svg+xml", LOGO_SVG),
        ("/index.html", "text/html", INDEX_HTML),
        ("/assets/app.js?v=123", "text/javascript", APP_JS),
    ],
)
def test_static_files(client: Client, path: str, media_type: str, content: str) -> None:
    response = client.get(path)
    assert response.status == 200
    assert response.media_type == media_type
    assert response.text == content
    assert response.headers["Content-Length"] == str(len(content.encode()))


def test_hashed_assets_are_cached(client: Client) -> None:
    assert "immutable" in client.get("/assets/app.js").headers["Cache-Control"]
    assert client.get("/logo.svg").headers["Cache-Control"] == "no-cache"


def test_head_on_static_file(client: Client) -> None:
    response = client.head("/assets/app.js")
    assert response.status == 200
    assert response.media_type == "text/javascript"
    assert response.headers["Content-Length"] == str(len(APP_JS.encode()))
    assert response.body == b""


@pytest.mark.parametrize("path", ["/gallery", "/models/abc/def", "/assets"])
def test_client_side_routes_fall_back_to_index(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status == 200
    assert response.text == INDEX_HTML


@pytest.mark.parametrize("path", ["/assets/missing.js", "/favicon.ico", "/nope.css"])
def test_unknown_asset_is_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status == 404
    assert INDEX_HTML not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/../secret",
        "/..",
        "/%00",
    ],
)
def test_path_traversal_is_refused(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status == 404
    assert SECRET not in response.text


def test_dot_segments_inside_ui_are_allowed(client: Client) -> None:
    response = client.get("/assets/../index.html")
    assert response.status == 200
    assert response.text == INDEX_HTML


def test_missing_ui_root_is_503_with_build_instructions(unbuilt_client: Client) -> None:
    response = unbuilt_client.get("/")
    assert response.status == 503
    assert response.media_type == "text/html"
    assert "has not been built" in response.text
    assert BUILD_COMMAND in response.text
    assert "cargo xtask frontend build" in response.text


def test_missing_ui_client_route_is_503(unbuilt_client: Client) -> None:
    assert unbuilt_client.get("/gallery").status == 503


def test_missing_ui_asset_is_404(unbuilt_client: Client) -> None:
    assert unbuilt_client.get("/assets/app.js").status == 404


def test_missing_ui_api_still_works(unbuilt_client: Client) -> None:
    response = unbuilt_client.get("/api/v1/app/version")
    assert response.status == 200
    assert response.json() == {"version": __version__}


def test_missing_ui_logs_warning_at_startup(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="invokeai"), make_server("127.0.0.1", 0, tmp_path / "none"):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "has not been built" in warnings[0]
    assert BUILD_COMMAND in warnings[0]


def test_built_ui_logs_no_warning(ui_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="invokeai"), make_server("127.0.0.1", 0, ui_dir):
        pass
    assert not caplog.records


def test_ui_built_after_startup_is_served(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    with running_server(dist) as server:
        client = Client(server)
        assert client.get("/").status == 503
        dist.mkdir()
        (dist / "index.html").write_text(INDEX_HTML, encoding="utf-8")
        assert client.get("/").text == INDEX_HTML


def test_one_log_line_per_request(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="invokeai.app.server"):
        client.get("/api/v1/app/version")
        client.get("/assets/missing.js")
    lines = [r.getMessage() for r in caplog.records if r.name == "invokeai.app.server"]
    assert len(lines) == 2
    assert "GET /api/v1/app/version" in lines[0]
    assert " 200 " in lines[0]
    assert " 404 " in lines[1]


@pytest.mark.parametrize("port", [-1, 65536, 70000])
def test_make_server_rejects_bad_port(port: int) -> None:
    with pytest.raises(ValueError, match="port must be 0-65535"):
        make_server("127.0.0.1", port)


def test_make_server_binds_ephemeral_port(ui_dir: Path) -> None:
    with make_server("127.0.0.1", 0, ui_dir) as server:
        assert server.server_port > 0
        assert server.url == f"http://127.0.0.1:{server.server_port}/"


def test_default_ui_dir_is_package_dist() -> None:
    with make_server("127.0.0.1", 0) as server:
        assert server.ui_dir == DIST_DIR
        assert DIST_DIR.parts[-4:] == ("invokeai", "frontend", "web", "dist")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.mjs", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("index.html", "text/html; charset=utf-8"),
        ("font.woff2", "font/woff2"),
        ("data.json", "application/json"),
        ("image.PNG", "image/png"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type_for(Path(name)) == expected


def test_server_header(client: Client) -> None:
    assert client.get("/api/v1/app/version").headers["Server"] == f"InvokeAI/{__version__}"
