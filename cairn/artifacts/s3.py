"""The S3 artifact store: the local store's layout, as objects under a bucket's prefix.

    <prefix>/blobs/<aa>/<sha256>   file contents, stored once per distinct content
    <prefix>/tree/<location>       the JSON index entry {"sha256": ..., "size": ...} per artifact
    <prefix>/tmp/upload-<uuid>     uploads too large to spool locally, in progress
    <prefix>/tmp/presigned-...     presigned multipart uploads in progress (``s3_presigned``)

An upload is staged (``s3_upload``), written to its blob key, then published by writing its
index object: one PUT, atomic in S3, so readers see the previous artifact or the new one. A
directory is a key prefix; there are no empty directories.

Without locks, garbage collection relies on time instead: every upload writes its blob (a fresh
PUT or an in-store copy, even when that content is already stored) just before its index entry,
so a blob's ``LastModified`` is at most moments older than any entry that will point at it (a
multipart upload's object dates from the upload's start, so a spooled upload's blob is older by
at most the time it takes to send ``SPOOL_MAX_BYTES``).
``collect_garbage`` deletes an unreferenced blob only when it was last written
``gc_grace_seconds`` before the collection began (on the object store's clock). An upload that
stalls for longer between those two writes could lose its blob; the default grace is generous.

Network calls are made with boto3 (see ``s3_client``). Each is a round trip, so the ones that do
not depend on each other go out in parallel: a listing's index entries, an upload's checks of its
parent folders, a tree's downloads.
"""

from __future__ import annotations

import builtins
import contextlib
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from cairn.artifacts.base import (
    CHUNK_SIZE,
    ArtifactStore,
    blob_name,
    corrupted,
    decode_entry,
    encode_entry,
    save_verified,
    verified,
)
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable

from .presigned import PresignedUploads
from .s3_client import connect, is_missing, s3_errors
from .s3_location import S3Location
from .s3_objects import BodyReader, delete_keys, iter_objects, remove_stale_uploads, store_time
from .s3_presigned import S3PresignedUploads
from .s3_upload import Staged, stage, upload_spool

GC_GRACE_SECONDS = 15 * 60
# Staged uploads and multipart uploads older than this were left by a crash; GC removes them.
STALE_UPLOAD_SECONDS = 24 * 3600
# S3 copies an object in one request up to 5 GiB; beyond that boto3 copies it in parts.
MAX_SINGLE_COPY_BYTES = 5 << 30
PARALLEL_REQUESTS = 16

_T = TypeVar("_T")
_R = TypeVar("_R")


class S3ArtifactStore(ArtifactStore):
    """``ArtifactStore`` under ``location`` (a bucket and prefix), through the boto3 ``client``.

    Open one with ``open_artifact_store("s3://bucket/prefix")`` or ``S3ArtifactStore.connect``,
    which check the bucket first. See ``ArtifactStore`` for each method.
    """

    def __init__(self, location: S3Location, client: Any, *, gc_grace_seconds: int = GC_GRACE_SECONDS) -> None:
        self.location = location
        self.gc_grace_seconds = gc_grace_seconds
        self._client = client
        self._bucket = location.bucket
        self._root = f"{location.prefix}/" if location.prefix else ""
        # Requests that do not depend on each other go out together (never nested: no deadlock).
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS, thread_name_prefix="cairn-s3")

    @classmethod
    def connect(
        cls, location: S3Location, *, endpoint_url: str | None = None, region: str | None = None,
        gc_grace_seconds: int = GC_GRACE_SECONDS,
    ) -> S3ArtifactStore:
        """Connect and check the bucket (``StoreUnavailable`` naming the problem if it fails)."""
        return cls(location, connect(location, endpoint_url, region), gc_grace_seconds=gc_grace_seconds)

    @property
    def destination(self) -> str:
        return self.location.url

    def close(self) -> None:
        self._pool.shutdown()
        self._client.close()

    # writing -----------------------------------------------------------------------------

    def put_stream(self, location: str, chunks: Iterable[bytes], *, durable: bool = False) -> FileInfo:
        """``ArtifactStore.put_stream``; every S3 write is durable, ``durable`` changes nothing."""
        relative = clean_relative_path(location, allow_empty=False)
        self._check_writable(relative)
        staged = stage(self._client, self._bucket, self._root + "tmp/", chunks, relative)
        self._publish(relative, staged)
        return FileInfo(path=relative, is_dir=False, file_size=staged.size)

    def presigned_uploads(self) -> PresignedUploads:
        """``ArtifactStore.presigned_uploads``: parts go to S3 through presigned URLs."""
        return S3PresignedUploads(self)

    def _publish(self, relative: str, staged: Staged) -> None:
        """Store ``staged`` as the blob of its sha256 and record it at ``relative``; the staged
        copy is removed whatever happens."""
        blob = self._root + blob_name(staged.sha)
        try:
            with s3_errors("store", relative):
                if staged.data is not None:
                    self._client.put_object(Bucket=self._bucket, Key=blob, Body=staged.data)
                elif staged.spool is not None:
                    upload_spool(self._client, self._bucket, blob, staged.spool, staged.size, relative)
                else:
                    self._copy(cast(str, staged.tmp_key), blob, staged.size)
                self._client.put_object(
                    Bucket=self._bucket, Key=self._tree_key(relative), Body=encode_entry(staged.sha, staged.size),
                    ContentType="application/json",
                )  # fmt: skip
        finally:
            if staged.spool is not None:
                staged.spool.close()
            if staged.tmp_key is not None:
                self._delete_staged(staged.tmp_key, relative)

    def delete(self, location: str) -> None:
        relative = clean_relative_path(location, allow_empty=False)
        with s3_errors("delete", relative):
            if self._is_file(relative):
                self._client.delete_object(Bucket=self._bucket, Key=self._tree_key(relative))
                return
            keys = [item["Key"] for item in iter_objects(self._client, self._bucket, self._dir_prefix(relative))]
            if not keys:
                raise NotFound(f"No artifact at {relative!r}; nothing was deleted.")
            delete_keys(self._client, self._bucket, keys)

    def collect_garbage(self) -> int:
        """``ArtifactStore.collect_garbage``: unreferenced blobs last written at least
        ``gc_grace_seconds`` before it began go (see the module doc); so do uploads a crash
        left behind more than a day ago."""
        with s3_errors("collect garbage for", ""):
            started = store_time(self._client, self._bucket, self._root + "tmp/")
            entries = [item["Key"] for item in iter_objects(self._client, self._bucket, self._root + "tree/")]
            referenced = {sha for sha in self._parallel(self._entry_sha, entries) if sha is not None}
            cutoff = started - timedelta(seconds=self.gc_grace_seconds)
            doomed = [
                item for item in iter_objects(self._client, self._bucket, self._root + "blobs/")
                if item["Key"].rsplit("/", 1)[-1] not in referenced and item["LastModified"] <= cutoff
            ]  # fmt: skip
            delete_keys(self._client, self._bucket, [item["Key"] for item in doomed])
            remove_stale_uploads(
                self._client, self._bucket, self._root + "tmp/", started - timedelta(seconds=STALE_UPLOAD_SECONDS)
            )
        return sum(int(item["Size"]) for item in doomed)

    # reading -----------------------------------------------------------------------------

    def stat(self, location: str) -> FileInfo:
        relative = clean_relative_path(location)
        if not relative:
            return FileInfo(path="", is_dir=True)
        with s3_errors("read", relative):
            entry = self._get_entry(relative)
            if entry is not None:
                return FileInfo(path=relative, is_dir=False, file_size=entry[1])
            if self._is_dir(relative):
                return FileInfo(path=relative, is_dir=True)
        raise NotFound(f"No artifact at {relative!r}.")

    def exists(self, location: str) -> bool:
        relative = clean_relative_path(location)
        with s3_errors("read", relative):
            return not relative or self._is_file(relative) or self._is_dir(relative)

    def sha256(self, location: str) -> str:
        return self._read_entry(clean_relative_path(location))[0]

    def open(self, location: str) -> BinaryIO:
        relative = clean_relative_path(location)
        sha, _ = self._read_entry(relative)
        body = self._get_blob(relative, sha)
        return cast(BinaryIO, io.BufferedReader(BodyReader(body, relative), buffer_size=CHUNK_SIZE))

    def iter_bytes(self, location: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative = clean_relative_path(location)
        sha, size = self._read_entry(relative)
        return self._iter_verified(relative, sha, size, chunk_size)

    def iter_range(self, location: str, start: int, stop: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative = clean_relative_path(location)
        sha, _ = self._read_entry(relative)
        return self._iter_range(relative, sha, start, stop, chunk_size)

    def list(self, location: str = "") -> builtins.list[FileInfo]:
        relative = clean_relative_path(location)
        prefix = self._dir_prefix(relative)
        base = f"{relative}/" if relative else ""
        dirs: builtins.list[str] = []
        files: builtins.list[str] = []
        with s3_errors("list", relative):
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix, Delimiter="/"
            ):
                dirs += [p["Prefix"][len(prefix):].rstrip("/") for p in page.get("CommonPrefixes", [])]
                files += [item["Key"][len(prefix):] for item in page.get("Contents", [])]
            dirs, files = [d for d in dirs if d], [f for f in files if f]
            # Some servers (SeaweedFS) keep listing a folder whose objects were all deleted.
            still_there = self._parallel(lambda name: self._is_dir(base + name), dirs)
            entries = self._parallel(lambda name: self._get_entry(base + name), files)
        infos = [FileInfo(path=base + name, is_dir=True) for name, kept in zip(dirs, still_there, strict=True) if kept]
        infos += [
            FileInfo(path=base + name, is_dir=False, file_size=entry[1])
            for name, entry in zip(files, entries, strict=True)
            if entry is not None  # deleted while we were listing
        ]  # fmt: skip
        return sorted(infos, key=lambda info: info.path.rsplit("/", 1)[-1])

    def download(self, location: str, dest_dir: Path) -> Path:
        relative = clean_relative_path(location)
        name = relative.rsplit("/", 1)[-1]
        with s3_errors("download", relative):
            entry = self._get_entry(relative) if relative else None
            if entry is not None:
                self._save(relative, entry, dest_dir / name)
                return dest_dir / name
            prefix = self._dir_prefix(relative)
            subs = [item["Key"][len(prefix):] for item in iter_objects(self._client, self._bucket, prefix)]
        if relative and not subs:
            raise NotFound(f"No artifact at {relative!r}.")
        dest_root = dest_dir / name if relative else dest_dir
        dest_root.mkdir(parents=True, exist_ok=True)
        base = f"{relative}/" if relative else ""

        def fetch(sub: str) -> None:
            with s3_errors("download", base + sub):
                entry = self._get_entry(base + sub)
            if entry is not None:  # deleted meanwhile: as if listed a moment later
                self._save(base + sub, entry, dest_root / sub)

        self._parallel(fetch, subs)
        return dest_root

    # helpers -----------------------------------------------------------------------------

    def _tree_key(self, relative: str) -> str:
        return f"{self._root}tree/{relative}"

    def _dir_prefix(self, relative: str) -> str:
        return f"{self._root}tree/{relative}/" if relative else f"{self._root}tree/"

    def _is_file(self, relative: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=self._tree_key(relative))
        except Exception as exc:
            if is_missing(exc):
                return False
            raise
        return True

    def _is_dir(self, relative: str) -> bool:
        found = self._client.list_objects_v2(Bucket=self._bucket, Prefix=self._dir_prefix(relative), MaxKeys=1)
        return bool(found.get("KeyCount") or found.get("Contents"))

    def _check_writable(self, relative: str) -> None:
        # One round trip: is the location a directory, and is any parent a file (asked together).
        parts = relative.split("/")
        parents = ["/".join(parts[:end]) for end in range(len(parts) - 1, 0, -1)]
        checks: builtins.list[Callable[[], bool]] = [lambda: self._is_dir(relative)]
        checks += [lambda parent=parent: self._is_file(parent) for parent in parents]
        with s3_errors("store", relative):
            is_dir, *parent_is_file = self._parallel(lambda check: check(), checks)
        if is_dir:
            raise InvalidParameter(f"Artifact location {relative!r} is a directory; upload to a file path inside it.")
        for parent, is_file in zip(parents, parent_is_file, strict=True):
            if is_file:
                raise InvalidParameter(
                    f"Cannot store {relative!r}: {parent!r} is an artifact file, not a directory; "
                    "choose another path or delete it."
                )

    def _get_entry(self, relative: str) -> tuple[str, int] | None:
        """The index entry at ``relative``, or None when there is no such object."""
        try:
            found = self._client.get_object(Bucket=self._bucket, Key=self._tree_key(relative))
        except Exception as exc:
            if is_missing(exc):
                return None
            raise
        with found["Body"] as body:
            return decode_entry(relative, body.read())

    def _read_entry(self, relative: str) -> tuple[str, int]:
        with s3_errors("read", relative):
            entry = self._get_entry(relative) if relative else None
            if entry is not None:
                return entry
            is_dir = not relative or self._is_dir(relative)
        if is_dir:
            raise NotFound(f"{relative!r} is a directory, not a file; list it instead.")
        raise NotFound(f"No artifact at {relative!r}.")

    def _entry_sha(self, key: str) -> str | None:
        relative = key[len(self._root + "tree/"):]
        entry = self._get_entry(relative)
        return entry[0] if entry is not None else None

    def _get_blob(self, relative: str, sha: str, byte_range: str | None = None) -> Any:
        extra = {"Range": byte_range} if byte_range else {}
        with s3_errors("read", relative):
            try:
                return self._client.get_object(Bucket=self._bucket, Key=self._root + blob_name(sha), **extra)["Body"]
            except Exception as exc:
                if is_missing(exc):
                    raise corrupted(relative) from exc
                raise

    def _chunks(self, relative: str, body: Any, chunk_size: int) -> Iterator[bytes]:
        with body, s3_errors("read", relative):
            yield from body.iter_chunks(chunk_size)

    def _iter_verified(self, relative: str, sha: str, size: int, chunk_size: int) -> Iterator[bytes]:
        yield from verified(relative, self._chunks(relative, self._get_blob(relative, sha), chunk_size), sha, size)

    def _iter_range(self, relative: str, sha: str, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
        if stop > start:
            body = self._get_blob(relative, sha, f"bytes={start}-{stop - 1}")
            yield from self._chunks(relative, body, chunk_size)

    def _save(self, relative: str, entry: tuple[str, int], dest: Path) -> None:
        save_verified(self._iter_verified(relative, *entry, CHUNK_SIZE), dest)

    def _copy(self, source: str, target: str, size: int) -> None:
        copy_source = {"Bucket": self._bucket, "Key": source}
        if size <= MAX_SINGLE_COPY_BYTES:
            self._client.copy_object(Bucket=self._bucket, Key=target, CopySource=copy_source)
        else:
            self._client.copy(copy_source, self._bucket, target)

    def _delete_staged(self, key: str, relative: str) -> None:
        # The artifact is stored by now; a staged copy left behind is removed by collect_garbage.
        with contextlib.suppress(StoreUnavailable), s3_errors("remove the staged upload of", relative):
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def _parallel(self, work: Callable[[_T], _R], items: builtins.list[_T]) -> builtins.list[_R]:
        if len(items) <= 1:
            return [work(item) for item in items]
        return builtins.list(self._pool.map(work, items))

