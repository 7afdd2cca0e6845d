"""Staging an upload on S3: hash the stream while it goes up, in constant memory.

The sha256 that names a blob is known only once the last byte has been read, so a large stream
goes up as a multipart upload to a temporary key under ``tmp/`` and is copied to its blob key
afterwards (a copy inside the object store: no byte comes back). A stream that fits in one part
is kept in memory and written to its blob key in one request. If the stream fails, the multipart
upload is aborted: nothing of it stays in the bucket.

Part sizes: S3 wants at least 5 MiB per part (but the last) and at most 10,000 parts. Parts
start at ``PART_SIZE`` and double every ``PARTS_PER_SIZE`` parts up to ``MAX_PART_SIZE``, so
memory stays at one part for a file of any size up to about 2.5 TB, and at 8 MiB up to 8 GB.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cairn.errors import InvalidParameter

from .s3_client import s3_errors

log = logging.getLogger(__name__)

PART_SIZE = 8 << 20
MAX_PART_SIZE = 512 << 20
PARTS_PER_SIZE = 1000
MAX_PARTS = 10_000


@dataclass(frozen=True)
class Staged:
    """A stream read to its end: its sha256 and size, and where its bytes are now — in memory
    (``data``, at most one part) or at the temporary key ``tmp_key``."""

    sha: str
    size: int
    data: bytes | None = None
    tmp_key: str | None = None


def part_size(part_number: int) -> int:
    """The size of part ``part_number`` (1-based) of a multipart upload."""
    return min(PART_SIZE << ((part_number - 1) // PARTS_PER_SIZE), MAX_PART_SIZE)


def stage(client: Any, bucket: str, tmp_prefix: str, chunks: Iterable[bytes], location: str) -> Staged:
    """Read ``chunks`` to the end, hashing them, and stage their bytes (see the module doc).

    An exception raised by ``chunks`` propagates unchanged after the upload is aborted.
    """
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray()
    upload: _Multipart | None = None
    try:
        for chunk in chunks:  # errors raised by the caller's iterable stay untranslated
            digest.update(chunk)
            size += len(chunk)
            rest = memoryview(chunk)
            while rest:
                room = part_size(upload.next_number if upload else 1) - len(buffer)
                buffer += rest[:room]
                rest = rest[room:]
                if len(buffer) == part_size(upload.next_number if upload else 1):
                    if upload is None:
                        upload = _Multipart.start(client, bucket, f"{tmp_prefix}upload-{uuid.uuid4().hex}", location)
                    upload.send(bytes(buffer))
                    buffer.clear()
        if upload is None:
            return Staged(digest.hexdigest(), size, data=bytes(buffer))
        if buffer:
            upload.send(bytes(buffer))
        upload.complete()
    except BaseException:
        if upload is not None:
            upload.abort()
        raise
    return Staged(digest.hexdigest(), size, tmp_key=upload.key)


@dataclass
class _Multipart:
    client: Any
    bucket: str
    key: str
    upload_id: str
    location: str
    parts: list[dict[str, Any]]

    @classmethod
    def start(cls, client: Any, bucket: str, key: str, location: str) -> _Multipart:
        with s3_errors("upload", location):
            created = client.create_multipart_upload(Bucket=bucket, Key=key)
        return cls(client, bucket, key, created["UploadId"], location, [])

    @property
    def next_number(self) -> int:
        return len(self.parts) + 1

    def send(self, data: bytes) -> None:
        number = self.next_number
        if number > MAX_PARTS:
            raise InvalidParameter(
                f"Artifact {self.location!r} is too large for the S3 artifact store (more than {MAX_PARTS} parts)."
            )
        with s3_errors("upload", self.location):
            sent = self.client.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
            )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def complete(self) -> None:
        with s3_errors("upload", self.location):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
            )

    def abort(self) -> None:
        # Best effort: collect_garbage aborts what a crash leaves behind.
        with contextlib.suppress(Exception):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
