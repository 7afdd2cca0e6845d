"""What the S3 store does with a bucket's objects, whatever they hold: list the keys under a
prefix, delete keys in batches, read the object store's clock, abort forgotten uploads, and read
a streaming body as a file. Calls raise botocore's errors; the caller translates them
(``s3_client.s3_errors``)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from cairn.errors import WHERE_CAUSE_IS_LOGGED, StoreUnavailable

from .s3_client import s3_errors

log = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most DeleteObjects accepts


def iter_objects(client: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every object (``Key``, ``Size``, ``LastModified``...) whose key starts with ``prefix``."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
    """Delete ``keys``, a thousand per request; ``StoreUnavailable`` if any is refused."""
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        failed = answer.get("Errors") or []
        if failed:
            log.error("S3 refused to delete %d objects, first %s", len(failed), failed[0])
            raise StoreUnavailable(f"The S3 artifact store refused to delete {len(failed)} objects; {WHERE_CAUSE_IS_LOGGED}.")


def store_time(client: Any, bucket: str, prefix: str) -> datetime:
    """Now on the object store's clock, the one its ``LastModified`` dates are on (from the
    ``Date`` header of a cheap listing of ``prefix``)."""
    answer = client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    return parsedate_to_datetime(date) if date else datetime.now(UTC)


def remove_stale_uploads(client: Any, bucket: str, prefix: str, cutoff: datetime) -> None:
    """Delete the objects under ``prefix`` and abort the multipart uploads there that are older
    than ``cutoff``: what a crashed upload leaves behind."""
    delete_keys(client, bucket, [item["Key"] for item in iter_objects(client, bucket, prefix)
                                 if item["LastModified"] <= cutoff])  # fmt: skip
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            if upload["Initiated"] <= cutoff:
                client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])


class BodyReader(io.RawIOBase):
    """A botocore streaming body as a raw file, its failures turned into ``StoreUnavailable``."""

    def __init__(self, body: Any, location: str) -> None:
        self._body = body
        self._location = location

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with s3_errors("read", self._location):
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
