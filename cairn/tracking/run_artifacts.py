"""Small files uploaded into a run's artifacts from the web UI, with MLflow's 10 MB limit.

The path is relative to the run's artifact root and goes through ``clean_relative_path`` (the one
safe-path check) before anything is read or written; the file lands at
``<experiment>/<run>/artifacts/<path>`` in the artifact store, replacing any file there.
"""

from __future__ import annotations

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter
from cairn.store.database import Database

from .locations import store_path_of
from .runs import get_run

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def clean_upload_path(path: str) -> str:
    """``path`` as a normalized relative path; InvalidParameter ("Invalid path: ...") otherwise."""
    try:
        return clean_relative_path(path, allow_empty=False)
    except InvalidParameter as exc:
        raise InvalidParameter(f"Invalid path: {exc.message}") from exc


def check_upload_size(size: int) -> None:
    """Refuse an upload of more than MAX_UPLOAD_BYTES bytes (checked while the body arrives)."""
    if size > MAX_UPLOAD_BYTES:
        raise InvalidParameter(
            f"Artifact size is too large. Max size is {MAX_UPLOAD_BYTES // (1024 * 1024)}MB; "
            "log larger files with the client (log_artifact), which streams them."
        )


def upload_run_artifact(
    db: Database, artifacts: ArtifactStore, run_id: str, path: str, data: bytes
) -> FileInfo:
    """Store ``data`` at ``path`` under the run's artifact root. InvalidParameter for a bad path,
    an empty or too large body; NotFound for an unknown run."""
    relative = clean_upload_path(path)
    check_upload_size(len(data))
    if not data:
        raise InvalidParameter("Request must specify data. Send the file's content as the request body.")
    run = get_run(db, run_id)
    return artifacts.put_bytes(f"{store_path_of(run.info.artifact_uri)}/{relative}", data)
