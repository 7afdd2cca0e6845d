"""Artifact repositories: where run files and model packages live.

Every layer sees one interface, ``ArtifactStore`` (``base.py``), and opens a store with
``open_artifact_store(destination)`` (``destinations.py``): a local folder or ``s3://bucket/prefix``.
Both stores keep each distinct content once, as a sha256-addressed blob, with a per-path index on
top, so every download can be verified and a half-written upload is never visible. The local
store (``local.py``) needs only the standard library (``hashlib``, ``os.replace`` for atomic
publishing); the S3 store (``s3.py``) needs boto3, an optional extra imported only when an
``s3://`` destination is opened. ``paths.py`` holds the one safe-path check that every artifact
route goes through.
"""

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.destinations import normalize_destination, open_artifact_store
from cairn.artifacts.local import LocalArtifactStore
from cairn.artifacts.paths import clean_relative_path, resolve_under
from cairn.artifacts.s3_location import S3Location, parse_s3_url

__all__ = [
    "ArtifactStore",
    "LocalArtifactStore",
    "S3Location",
    "clean_relative_path",
    "normalize_destination",
    "open_artifact_store",
    "parse_s3_url",
    "resolve_under",
]
