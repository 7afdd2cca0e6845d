"""Where artifacts live: a place inside Cairn's own artifact store, or a remote store that the
client writes to directly and Cairn never touches.

Cairn's locations are ``mlflow-artifacts:/<relative path>``: the embedded client resolves them to
its local folder and a server proxies them. A remote location (``s3://bucket/path``, ``gs://``,
``wasbs://``, ``https://``, ``dbfs:/``, ... see ``REMOTE_SCHEMES``) is recorded as given: the
mlflow client reads and writes it with its own credentials, while Cairn never reads, writes or
connects to it, so a stored remote URI cannot make the server fetch anything. Anything else (a
local path, ``file:``) is refused: it would name a file on the server's disk. Every path part
passes the shared safe-path check (DESIGN, security rules).
"""

from __future__ import annotations

import re

from cairn.artifacts.paths import clean_relative_path
from cairn.errors import InvalidParameter

SCHEME = "mlflow-artifacts:"
# Object stores and distributed file systems the mlflow client writes to itself.
REMOTE_SCHEMES = frozenset({
    "s3", "s3a", "gs", "wasb", "wasbs", "abfss", "oss", "r2", "b2", "hdfs", "viewfs", "dbfs", "http", "https",
})
# Schemes whose locations may leave out the authority: ``dbfs:/path``.
_PATH_ONLY_SCHEMES = frozenset({"dbfs"})
_URI = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?P<rest>.*)$", re.DOTALL)
# A bucket, container@account or host[:port]: no spaces, backslashes, '?', '#' or controls.
_AUTHORITY = re.compile(r"^[A-Za-z0-9._~\-]+(?:@[A-Za-z0-9._~\-]+)?(?::\d{1,5})?$")
_SHOWN = 200
# An experiment's location leaves room for what goes under it, runs ("/<run id>/artifacts") and
# logged models ("/models/m-<id>/artifacts", the longer), within the store's 1000-character columns.
MAX_ARTIFACT_LOCATION_LENGTH = 1000 - len("/models/m-0123456789abcdef0123456789abcdef/artifacts")


def validate_artifact_location(location: str) -> str:
    """An experiment's ``artifact_location``: ``mlflow-artifacts:/<path>`` (normalized) or a remote
    URI (kept as given); ``InvalidParameter`` for anything else, saying why."""
    if isinstance(location, str) and len(location) > MAX_ARTIFACT_LOCATION_LENGTH:
        raise InvalidParameter(f"artifact_location is {len(location)} characters; the limit is "
                               f"{MAX_ARTIFACT_LOCATION_LENGTH}, leaving room for the runs and models under it.")
    if isinstance(location, str) and location.startswith(SCHEME):
        relative = _path_part("artifact_location", location, location[len(SCHEME):].lstrip("/"), allow_empty=False)
        return f"{SCHEME}/{relative}"
    if isinstance(location, str) and is_remote_uri(location):
        return validate_remote_uri("artifact_location", location)
    raise InvalidParameter(
        f"artifact_location {_shown(location)} is refused: use a place inside Cairn's artifact store, e.g. "
        "'mlflow-artifacts:/team-a', or a remote store the client writes to itself, e.g. 's3://bucket/path'. "
        "Local paths and file: URIs would name the server's disk. Leave it empty for the default."
    )


def is_remote_uri(uri: str) -> bool:
    """Whether ``uri`` names a remote store (``s3://...``): a location Cairn records, never reads."""
    match = _URI.match(uri)
    return match is not None and match.group("scheme").lower() in REMOTE_SCHEMES


def validate_remote_uri(what: str, uri: str) -> str:
    """``uri`` unchanged if it is a well-formed remote location: a scheme from ``REMOTE_SCHEMES``,
    a bucket or host (``dbfs:/path`` may leave it out) and a path passing the safe-path check.
    ``InvalidParameter`` naming ``what`` and the broken rule otherwise."""
    match = _URI.match(uri)
    if match is None or match.group("scheme").lower() not in REMOTE_SCHEMES:
        raise InvalidParameter(f"{what} {_shown(uri)} is not a remote store URI such as 's3://bucket/path'.")
    scheme, rest = match.group("scheme").lower(), match.group("rest")
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        if not _AUTHORITY.match(authority):
            raise InvalidParameter(
                f"{what} {_shown(uri)} is refused: '{scheme}://' must be followed by a bucket or host name "
                "(letters, digits, '.', '-', '_', an optional '@account' and ':port')."
            )
    elif scheme in _PATH_ONLY_SCHEMES and rest.startswith("/"):
        path = rest[1:]
    else:
        raise InvalidParameter(f"{what} {_shown(uri)} is refused: write it as '{scheme}://<bucket or host>/<path>'.")
    _path_part(what, uri, path, allow_empty=True)
    return uri


def store_path_of(uri: str) -> str:
    """The artifact-store relative path of a location URI ('mlflow-artifacts:/1/abc/artifacts' -> '1/abc/artifacts')."""
    if not uri.startswith(SCHEME):
        if is_remote_uri(uri):
            raise InvalidParameter(
                f"Artifacts at '{uri[:_SHOWN]}' are in a remote store outside Cairn's; Cairn does not read or "
                "write them. Use a client that writes there directly (mlflow with that store's credentials)."
            )
        raise InvalidParameter(f"'{uri[:_SHOWN]}' is not a Cairn artifact location.")
    return clean_relative_path(uri[len(SCHEME):].lstrip("/"))


def run_artifact_uri(experiment_location: str, run_id: str) -> str:
    return f"{experiment_location.rstrip('/')}/{run_id}/artifacts"


def _path_part(what: str, uri: str, path: str, *, allow_empty: bool) -> str:
    try:
        return clean_relative_path(path, allow_empty=allow_empty)
    except InvalidParameter as exc:
        raise InvalidParameter(f"{what} {_shown(uri)} is refused: {exc.message}") from exc


def _shown(value: object) -> str:
    return repr(value[:_SHOWN]) if isinstance(value, str) else f"of type {type(value).__name__}"
