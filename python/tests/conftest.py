from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import APP_CSS, APP_JS, INDEX_HTML, LOGO_SVG, SECRET, Client, running_server


@pytest.fixture(scope="module")
def ui_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built web UI: index.html plus a few assets, with a file beside it that must stay private.

    Shared by the tests of a module, which only read it.
    """
    root = tmp_path_factory.mktemp("ui")
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX_HTML, encoding="utf-8")
    (dist / "assets" / "app.js").write_text(APP_JS, encoding="utf-8")
    (dist / "assets" / "app.css").write_text(APP_CSS, encoding="utf-8")
    (dist / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    (root / "secret.txt").write_text(SECRET, encoding="utf-8")
    return dist


@pytest.fixture(scope="module")
def client(ui_dir: Path) -> Iterator[Client]:
    with running_server(ui_dir) as server:
        yield Client(server)


@pytest.fixture
def unbuilt_client(tmp_path: Path) -> Iterator[Client]:
    with running_server(tmp_path / "missing-dist") as server:
        yield Client(server)
