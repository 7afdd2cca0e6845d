"""Staging an upload on S3: hash the stream while it arrives, in constant memory.

The sha256 that names a blob is known only once the last byte has been read, so the bytes wait
somewhere until then:

- a stream that fits in one part stays in memory and is written to its blob key in one request;
- a larger one is spooled to an unnamed local temporary file (``tempfile``: ``TMPDIR`` picks the
  disk) and, once hashed, sent straight to its blob key as a multipart upload with
  ``PARALLEL_PARTS`` parts in flight: every byte crosses the network once;
- beyond ``SPOOL_MAX_BYTES`` (so a huge upload cannot fill the server's disk) the spooled bytes
  and the rest of the stream go up as a multipart upload to a temporary key under ``tmp/``, which
  is copied to its blob key afterwards (a copy inside the object store: no byte comes back, but
  the object store rewrites it).

If the stream or an upload fails, the multipart upload is aborted and the spool file, unlinked
from the start, disappears with its descriptor: nothing stays in the bucket or on the disk.

Part sizes: S3 wants at least 5 MiB per part (but the last) and at most 10,000 parts. Parts
start at ``PART_SIZE`` and double every ``PARTS_PER_SIZE`` parts up to ``MAX_PART_SIZE``, so
memory stays at one part per stream (``PARALLEL_PARTS`` while a spool is sent) for a file of any
size up to about 2.5 TB, and parts stay at 8 MiB up to 8 GB.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from cairn.errors import InvalidParameter

from .s3_client import s3_errors

log = logging.getLogger(__name__)

PART_SIZE = 8 << 20
MAX_PART_SIZE = 512 << 20
PARTS_PER_SIZE = 1000
MAX_PARTS = 10_000
# Uploads up to this size wait on the local disk for their hash and then go to S3 once. Also
# bounds how long the blob's multipart upload takes (S3 dates the object from its start: see
# the garbage collector's grace in ``s3``).
SPOOL_MAX_BYTES = 2 << 30
# Parts of a spooled upload sent at the same time (each holds one part in memory).
PARALLEL_PARTS = 2


@dataclass(frozen=True)
class Staged:
    """A stream read to its end: its sha256 and size, and where its bytes are now — in memory
    (``data``, at most one part), in a local spool file (``spool``), or at the temporary key
    ``tmp_key``. Whoever publishes it closes the spool."""

    sha: str
    size: int
    data: bytes | None = None
    spool: IO[bytes] | None = None
    tmp_key: str | None = None


def part_size(part_number: int) -> int:
    """The size of part ``part_number`` (1-based) of a multipart upload."""
    return min(PART_SIZE << ((part_number - 1) // PARTS_PER_SIZE), MAX_PART_SIZE)


def stage(client: Any, bucket: str, tmp_prefix: str, chunks: Iterable[bytes], location: str) -> Staged:
    """Read ``chunks`` to the end, hashing them, and stage their bytes (see the module doc).

    An exception raised by ``chunks`` propagates unchanged after the staged bytes are dropped.
    """
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray()
    spool: IO[bytes] | None = None
    upload: _Multipart | None = None
    try:
        for chunk in chunks:  # errors raised by the caller's iterable stay untranslated
            digest.update(chunk)
            size += len(chunk)
            if upload is not None:
                _stream(upload, buffer, chunk)
            elif spool is not None:
                spool.write(chunk)
                if size > SPOOL_MAX_BYTES:
                    upload = _Multipart.start(client, bucket, f"{tmp_prefix}upload-{uuid.uuid4().hex}", location)
                    spooled, spool = spool, None
                    with spooled:
                        spooled.seek(0)
                        while block := spooled.read(1 << 20):
                            _stream(upload, buffer, block)
            else:
                buffer += chunk
                if len(buffer) > PART_SIZE:
                    spool = tempfile.TemporaryFile(prefix="cairn-upload-")
                    spool.write(buffer)
                    buffer.clear()
        if spool is not None:
            spool.flush()
            return Staged(digest.hexdigest(), size, spool=spool)
        if upload is None:
            return Staged(digest.hexdigest(), size, data=bytes(buffer))
        if buffer:
            upload.send(upload.next_number, bytes(buffer))
        upload.complete()
    except BaseException:
        if spool is not None:
            spool.close()
        if upload is not None:
            upload.abort()
        raise
    return Staged(digest.hexdigest(), size, tmp_key=upload.key)


def upload_spool(client: Any, bucket: str, key: str, spool: IO[bytes], size: int, location: str) -> None:
    """Write the ``size`` bytes of ``spool`` to ``key`` as a multipart upload, ``PARALLEL_PARTS``
    parts at a time; aborted if any part fails."""
    upload = _Multipart.start(client, bucket, key, location)
    fd = spool.fileno()

    def send(part: tuple[int, int, int]) -> None:
        number, offset, length = part
        upload.send(number, os.pread(fd, length, offset))

    try:
        with ThreadPoolExecutor(max_workers=PARALLEL_PARTS, thread_name_prefix="cairn-s3-part") as pool:
            # Each part reads its bytes only when a thread takes it: memory holds the parts in flight.
            for _ in pool.map(send, _parts(size)):
                pass
        upload.complete()
    except BaseException:
        upload.abort()
        raise


def _parts(size: int) -> Iterator[tuple[int, int, int]]:
    """(number, offset, length) of each part of a ``size``-byte upload."""
    number, offset = 1, 0
    while offset < size:
        length = min(part_size(number), size - offset)
        yield number, offset, length
        number, offset = number + 1, offset + length


def _stream(upload: _Multipart, buffer: bytearray, chunk: bytes) -> None:
    """Add ``chunk`` to ``buffer``, sending each part as soon as it is full."""
    rest = memoryview(chunk)
    while rest:
        room = part_size(upload.next_number) - len(buffer)
        buffer += rest[:room]
        rest = rest[room:]
        if len(buffer) == part_size(upload.next_number):
            upload.send(upload.next_number, bytes(buffer))
            buffer.clear()


@dataclass
class _Multipart:
    client: Any
    bucket: str
    key: str
    upload_id: str
    location: str
    parts: dict[int, str]

    @classmethod
    def start(cls, client: Any, bucket: str, key: str, location: str) -> _Multipart:
        with s3_errors("upload", location):
            created = client.create_multipart_upload(Bucket=bucket, Key=key)
        return cls(client, bucket, key, created["UploadId"], location, {})

    @property
    def next_number(self) -> int:
        return len(self.parts) + 1

    def send(self, number: int, data: bytes) -> None:
        if number > MAX_PARTS:
            raise InvalidParameter(
                f"Artifact {self.location!r} is too large for the S3 artifact store (more than {MAX_PARTS} parts)."
            )
        with s3_errors("upload", self.location):
            sent = self.client.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
            )
        self.parts[number] = sent["ETag"]

    def complete(self) -> None:
        parts = [{"PartNumber": number, "ETag": self.parts[number]} for number in sorted(self.parts)]
        with s3_errors("upload", self.location):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}
            )

    def abort(self) -> None:
        # Best effort: collect_garbage aborts what a crash leaves behind.
        with contextlib.suppress(Exception):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
