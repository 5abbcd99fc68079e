"""The InvokeAI version, kept in a single place."""

from invokeai.version.invokeai_version import __version__

__all__ = ["__version__"]
