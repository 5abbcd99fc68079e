"""Allow ``python -m invokeai.app`` to start the web server."""

import sys

from invokeai.app.run_app import run_app

if __name__ == "__main__":
    sys.exit(run_app())
