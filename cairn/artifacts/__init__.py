"""Artifact repositories: where run files and model packages live.

The local store (``local.py``) keeps each distinct content once, as a sha256-addressed blob, with
a per-path index on top, so every download can be verified and a half-written upload is never
visible. It needs only the standard library (``hashlib``, ``os.replace`` for atomic publishing).
``paths.py`` holds the one safe-path check that every artifact route goes through.
"""

from cairn.artifacts.local import LocalArtifactStore
from cairn.artifacts.paths import clean_relative_path, resolve_under

__all__ = ["LocalArtifactStore", "clean_relative_path", "resolve_under"]
