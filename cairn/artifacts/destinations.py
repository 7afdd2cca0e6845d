"""Where artifacts go: a local folder or ``s3://bucket/prefix``, and ``open_artifact_store``.

Every place that chooses an artifact store (``cairn server --artifacts-destination``, the SDK's
``CAIRN_ARTIFACTS_ROOT``, ``cairn ui``) names it with one string and opens it here, so each
accepts the same forms and refuses the same mistakes. Parsing needs no S3 library; boto3 is
imported only when an ``s3://`` store is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.s3_location import S3_SCHEME, parse_s3_url
from cairn.errors import InvalidParameter

FILE_SCHEME = "file://"
_FORMS = "a folder path, file:///folder or s3://bucket/prefix"


def normalize_destination(destination: str | os.PathLike[str]) -> str:
    """``destination`` in the form ``open_artifact_store`` takes: ``s3://bucket/prefix`` checked
    and normalized, or an absolute folder path (``~`` expanded, a relative path taken from the
    current directory, ``file://`` dropped). Other URL schemes raise ``InvalidParameter``."""
    text = os.fspath(destination)
    if text.startswith(S3_SCHEME):
        return parse_s3_url(text).url
    if text.startswith(FILE_SCHEME):
        text = text[len(FILE_SCHEME):]
    elif "://" in text:
        raise InvalidParameter(f"Unsupported artifact destination {text!r}: use {_FORMS}.")
    if not text:
        raise InvalidParameter(f"The artifact destination is empty: use {_FORMS}.")
    path = Path(text).expanduser()
    return str(path.absolute())


def open_artifact_store(
    destination: str | os.PathLike[str],
    *,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
) -> ArtifactStore:
    """Open the store at ``destination`` (a folder or ``s3://bucket/prefix``).

    A folder is created if missing. An S3 store is checked now (endpoint reachable, credentials
    accepted, bucket present), so a misconfiguration is a ``StoreUnavailable`` naming its cause
    at startup rather than on the first upload. ``s3_endpoint_url`` and ``s3_region`` override
    ``AWS_ENDPOINT_URL`` and ``AWS_DEFAULT_REGION``; credentials come from boto3's usual chain
    (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance roles).
    """
    normalized = normalize_destination(destination)
    if normalized.startswith(S3_SCHEME):
        from cairn.artifacts.s3 import S3ArtifactStore

        return S3ArtifactStore.connect(parse_s3_url(normalized), endpoint_url=s3_endpoint_url, region=s3_region)
    from cairn.artifacts.local import LocalArtifactStore

    return LocalArtifactStore(Path(normalized))
