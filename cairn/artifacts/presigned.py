"""Presigned multipart uploads: a client sends a large file's parts straight to the object store.

The server starts an upload for a location and hands out one presigned URL per part; the client
PUTs each part to its URL (the bytes never pass through the server) and then names the parts it
sent; the server finishes the upload, hashes the result and records it at its location exactly as
a proxied upload is recorded, so downloads, sha256 checks, GC and retention see no difference.
Only a store on an object store offers it (``S3ArtifactStore.presigned_uploads``).

The rules on the parts a client names are checked here, before the object store is asked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from cairn.entities import FileInfo
from cairn.errors import InvalidParameter

# How long a part's presigned URL stays valid. Long enough for a multi-GB file on a slow link;
# well under the age at which GC aborts an upload as forgotten (s3.STALE_UPLOAD_SECONDS, a day).
PRESIGNED_URL_EXPIRY_SECONDS = 6 * 3600
# S3's limit on the parts of one multipart upload.
MAX_PARTS = 10_000


@dataclass(frozen=True)
class StartedUpload:
    """An upload in progress: its id (opaque to the client) and one URL per part, part 1 first."""

    upload_id: str
    part_urls: list[str]


@dataclass(frozen=True)
class UploadedPart:
    """A part the client sent: its number (1-based) and the ETag the object store answered."""

    part_number: int
    etag: str


class PresignedUploads(ABC):
    """Presigned multipart uploads into one artifact store; ``location`` as in ``ArtifactStore``.

    ``InvalidParameter`` for a refused location or wrong parts, ``NotFound`` for an upload id that
    is not in progress for that location, ``StoreUnavailable`` when the object store fails.
    """

    @abstractmethod
    def start(self, location: str, num_parts: int) -> StartedUpload:
        """Start an upload of ``num_parts`` parts (1 to ``MAX_PARTS``) to ``location``."""

    @abstractmethod
    def complete(
        self, location: str, upload_id: str, parts: Sequence[UploadedPart], *, max_bytes: int | None = None
    ) -> FileInfo:
        """Join ``parts`` and store the result at ``location``, as ``put_stream`` would have.

        ``PayloadTooLarge`` when the parts add up to more than ``max_bytes`` (checked before they
        are joined, so the upload can still be aborted).
        """

    @abstractmethod
    def abort(self, location: str, upload_id: str) -> None:
        """Drop the upload and the parts already sent."""


def check_num_parts(num_parts: int) -> int:
    if not 1 <= num_parts <= MAX_PARTS:
        raise InvalidParameter(
            f"num_parts must be between 1 and {MAX_PARTS} (the object store's limit), got {num_parts}; "
            "use larger parts (MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE)."
        )
    return num_parts


def check_parts(parts: Sequence[UploadedPart]) -> list[UploadedPart]:
    """``parts`` if they can complete an upload: at least one, numbered 1 to ``MAX_PARTS`` in
    increasing order, each with its ETag; ``InvalidParameter`` naming the first wrong one."""
    if not parts:
        raise InvalidParameter("parts is empty: name every part sent, with the ETag each PUT answered.")
    previous = 0
    for index, part in enumerate(parts):
        if not 1 <= part.part_number <= MAX_PARTS:
            raise InvalidParameter(
                f"parts[{index}].part_number must be between 1 and {MAX_PARTS}, got {part.part_number}."
            )
        if part.part_number <= previous:
            raise InvalidParameter(
                f"parts[{index}].part_number {part.part_number} is out of order: list the parts once each, "
                "in increasing part_number."
            )
        if not part.etag:
            raise InvalidParameter(f"parts[{index}].etag is missing: send the ETag the part's PUT answered.")
        previous = part.part_number
    return list(parts)
