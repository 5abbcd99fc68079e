"""The InvokeAI web UI.

The built UI lives in the ``dist`` folder next to this file. It is produced from the
frontend sources and is absent until the UI has been built.
"""

from pathlib import Path
from typing import Final

DIST_DIR: Final[Path] = Path(__file__).resolve().parent / "dist"
"""Folder holding the built web UI (``index.html`` and its assets)."""
