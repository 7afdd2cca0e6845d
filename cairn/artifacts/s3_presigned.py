"""Presigned multipart uploads on S3 (see ``presigned.py``), fitted to the content-addressed layout.

The blob key is a file's sha256, unknown until its last byte is in, so the parts go to a staging
key under ``tmp/`` (``tmp/presigned-<location digest>-<token>``), as a proxied upload's do. When
the client names its parts, S3 joins them there; the server reads the joined object once to hash
it (streaming, constant memory), copies it to its blob key inside the object store and records
the location, exactly as ``S3ArtifactStore.put_stream`` finishes, then removes the staging key.
An upload left unfinished is aborted by ``collect_garbage`` once it is a day old.

The upload id handed to the client is ``<token>.<S3's upload id>``. The staging key is computed
from the token and the location, never taken from the client, so an id can only finish or abort
the upload it was started for, at the location it was started for.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cairn.artifacts.base import CHUNK_SIZE
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound, PayloadTooLarge

from .presigned import (
    PRESIGNED_URL_EXPIRY_SECONDS,
    PresignedUploads,
    StartedUpload,
    UploadedPart,
    check_num_parts,
    check_parts,
)
from .s3_client import error_code, s3_errors
from .s3_upload import Staged

if TYPE_CHECKING:
    from .s3 import S3ArtifactStore

_TOKEN = re.compile(r"[0-9a-f]{32}")
_ID_SEPARATOR = "."
# What S3 answers when the parts named do not make a whole, and what the client should do.
_REFUSED_PARTS = {
    "InvalidPart": "a part named was not uploaded, or its etag is not the one its PUT answered",
    "InvalidPartOrder": "the parts are not in increasing part_number order",
    "EntityTooSmall": "a part other than the last is smaller than the object store accepts (5 MiB on AWS S3); "
                      "use larger parts (MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE)",
}  # fmt: skip


class S3PresignedUploads(PresignedUploads):
    """``PresignedUploads`` into ``store``; get one with ``S3ArtifactStore.presigned_uploads()``."""

    def __init__(self, store: S3ArtifactStore) -> None:
        self._store = store
        self._client: Any = store._client
        self._bucket = store.location.bucket

    def start(self, location: str, num_parts: int) -> StartedUpload:
        relative = clean_relative_path(location, allow_empty=False)
        check_num_parts(num_parts)
        self._store._check_writable(relative)
        token = uuid.uuid4().hex
        key = self._staging_key(relative, token)
        with s3_errors("upload", relative):
            s3_id = self._client.create_multipart_upload(Bucket=self._bucket, Key=key)["UploadId"]
            urls = [
                self._client.generate_presigned_url(
                    "upload_part",
                    Params={"Bucket": self._bucket, "Key": key, "UploadId": s3_id, "PartNumber": number},
                    ExpiresIn=PRESIGNED_URL_EXPIRY_SECONDS,
                )
                for number in range(1, num_parts + 1)
            ]
        return StartedUpload(f"{token}{_ID_SEPARATOR}{s3_id}", urls)

    def complete(
        self, location: str, upload_id: str, parts: Sequence[UploadedPart], *, max_bytes: int | None = None
    ) -> FileInfo:
        relative = clean_relative_path(location, allow_empty=False)
        checked = check_parts(parts)
        key, s3_id = self._find(relative, upload_id)
        self._store._check_writable(relative)
        if max_bytes is not None and self._size_of(relative, upload_id, key, s3_id, checked) > max_bytes:
            raise PayloadTooLarge(f"Artifact uploads are limited to {max_bytes} bytes; {relative!r} is larger.")
        with self._upload_errors(relative, upload_id):
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=s3_id,
                MultipartUpload={"Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in checked]},
            )  # fmt: skip
        try:
            sha, size = self._hash(key, relative)
        except BaseException:
            self._store._delete_staged(key, relative)
            raise
        self._store._publish(relative, Staged(sha, size, tmp_key=key))
        return FileInfo(path=relative, is_dir=False, file_size=size)

    def abort(self, location: str, upload_id: str) -> None:
        relative = clean_relative_path(location, allow_empty=False)
        key, s3_id = self._find(relative, upload_id)
        with self._upload_errors(relative, upload_id):
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=s3_id)

    def _size_of(self, relative: str, upload_id: str, key: str, s3_id: str, parts: list[UploadedPart]) -> int:
        """What the named parts that S3 holds add up to (a part it lacks fails the completion)."""
        sizes: dict[int, int] = {}
        with self._upload_errors(relative, upload_id):
            pages = self._client.get_paginator("list_parts").paginate(Bucket=self._bucket, Key=key, UploadId=s3_id)
            for page in pages:
                sizes.update({int(part["PartNumber"]): int(part["Size"]) for part in page.get("Parts", [])})
        return sum(sizes.get(part.part_number, 0) for part in parts)

    def _staging_key(self, relative: str, token: str) -> str:
        bound_to = hashlib.sha256(relative.encode()).hexdigest()[:16]
        return f"{self._store._root}tmp/presigned-{bound_to}-{token}"

    def _find(self, relative: str, upload_id: str) -> tuple[str, str]:
        token, _, s3_id = upload_id.partition(_ID_SEPARATOR)
        if not _TOKEN.fullmatch(token) or not s3_id:
            raise _not_in_progress(relative)
        return self._staging_key(relative, token), s3_id

    @contextlib.contextmanager
    def _upload_errors(self, relative: str, upload_id: str) -> Iterator[None]:
        from botocore.exceptions import ClientError

        with s3_errors("upload", relative):
            try:
                yield
            except ClientError as exc:
                code = error_code(exc)
                if code == "NoSuchUpload":
                    raise _not_in_progress(relative) from exc
                if code in _REFUSED_PARTS:
                    raise InvalidParameter(
                        f"Cannot complete the upload of {relative!r}: {_REFUSED_PARTS[code]}."
                    ) from exc
                raise

    def _hash(self, key: str, relative: str) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        with s3_errors("read", relative):
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
            with body:
                for chunk in body.iter_chunks(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
        return digest.hexdigest(), size


def _not_in_progress(relative: str) -> NotFound:
    return NotFound(
        f"No upload with this upload_id is in progress for {relative!r}: it was completed or aborted "
        "already, or was started for another path. Start a new upload."
    )
