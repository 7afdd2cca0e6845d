"""The Cairn version an app reports: read once from the installed distribution's metadata, the
version ``pyproject.toml`` declares, so no module above has to be imported to learn it."""

from __future__ import annotations

import functools
import importlib.metadata

DISTRIBUTION = "cairn-tracker"
UNKNOWN_VERSION = "0+unknown"


@functools.cache
def cairn_version() -> str:
    """``"0.1.0"``-style; ``UNKNOWN_VERSION`` when Cairn runs from a source tree never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN_VERSION
