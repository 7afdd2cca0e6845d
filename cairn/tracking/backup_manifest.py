"""What a backup folder holds, described by its ``manifest.json``, and how progress is reported.

    manifest.json      this description: Cairn's version, schema revision, counts, checksums
    metadata.sqlite    the metadata (SQLite's online backup), or metadata.pgdump (pg_dump -Fc)
    artifacts/         the artifacts, as a local content-addressed store (blobs/ + tree/)
    artifacts.jsonl    one line per artifact file: {"path", "sha256", "size"}

The manifest carries the sha256 of the metadata copy and of the artifact index, and the index the
sha256 of every file, so a restore can check everything it reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cairn.errors import InvalidParameter

FORMAT = 1
MANIFEST = "manifest.json"
ARTIFACT_INDEX = "artifacts.jsonl"
ARTIFACTS_FOLDER = "artifacts"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BackupManifest:
    """A backup's description. ``counts``: rows per table of the metadata copy; ``skipped_files``:
    artifact files of runs and logged models newer than the copy, left out; ``vanished_files``:
    files deleted while the backup ran."""

    cairn_version: str
    schema_revision: str
    created_time: int
    dialect: str
    metadata_file: str
    metadata_sha256: str
    metadata_bytes: int
    artifact_files: int
    artifact_bytes: int
    artifact_index_sha256: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped_files: int = 0
    vanished_files: int = 0
    format: int = FORMAT


class Progress(Protocol):
    """How a long backup or restore reports: a stage begins, a copy of ``files`` files and
    ``size`` bytes starts, some bytes were copied, the copy ended."""

    def stage(self, text: str) -> None: ...
    def start(self, files: int, size: int) -> None: ...
    def advance(self, size: int) -> None: ...
    def finish(self) -> None: ...


class Silent:
    """``Progress`` that reports nothing."""

    def stage(self, text: str) -> None:
        pass

    def start(self, files: int, size: int) -> None:
        pass

    def advance(self, size: int) -> None:
        pass

    def finish(self) -> None:
        pass


def write_manifest(folder: Path, manifest: BackupManifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(dataclasses.asdict(manifest), indent=2, sort_keys=True) + "\n")


def read_manifest(folder: Path) -> BackupManifest:
    """The manifest of the backup in ``folder``; ``InvalidParameter`` when there is none or it is
    not one this Cairn reads."""
    path = folder / MANIFEST
    try:
        raw: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidParameter(f"'{folder}' is not a Cairn backup: it has no {MANIFEST}.") from None
    except (OSError, ValueError) as exc:
        raise InvalidParameter(f"The backup manifest in '{folder}' cannot be read: {exc}.") from None
    found = raw.get("format") if isinstance(raw, dict) else None
    if found != FORMAT:
        raise InvalidParameter(f"The backup in '{folder}' has manifest format {found!r}; this Cairn reads format "
                               f"{FORMAT}.")
    try:
        return BackupManifest(**raw)
    except TypeError as exc:
        raise InvalidParameter(f"The backup manifest in '{folder}' is damaged: {exc}.") from None


def file_sha256(path: Path) -> tuple[str, int]:
    """The hex sha256 and size of a local file, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
