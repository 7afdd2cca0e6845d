"""``ArtifactStore``: the one interface every layer uses, whatever holds the bytes.

Both stores keep the same content-addressed layout (under a folder, or under an S3 prefix):

    blobs/<aa>/<sha256>   file contents, stored once per distinct content
    tree/<location>       a small JSON index entry {"sha256": ..., "size": ...} per artifact
    tmp/                  uploads in progress

Locations are relative POSIX paths such as ``<exp_id>/<run_id>/artifacts/<path>``; every method
runs them through ``clean_relative_path`` first, so a refused location raises
``InvalidParameter`` before anything is touched. ``NotFound`` is raised for a missing artifact,
``StoreUnavailable`` when the storage fails or a blob no longer matches its sha256.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cairn.artifacts.paths import clean_relative_path
from cairn.artifacts.presigned import PresignedUploads
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable, Unsupported

CHUNK_SIZE = 1 << 20
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ArtifactStore(ABC):
    """Artifacts addressed by location; safe for concurrent threads and processes.

    Identical content is stored once; an upload is atomic (readers see the previous artifact or
    the new one, never part of one) and the last writer of a location wins. Implementations:
    ``LocalArtifactStore`` (a folder) and ``S3ArtifactStore`` (a bucket and prefix); open either
    with ``open_artifact_store(destination)``.
    """

    @property
    @abstractmethod
    def destination(self) -> str:
        """The folder or ``s3://bucket/prefix`` this store was opened on (for the operator)."""

    @abstractmethod
    def put_stream(self, location: str, chunks: Iterable[bytes], *, durable: bool = False) -> FileInfo:
        """Store the concatenated ``chunks`` at ``location`` in constant memory.

        ``durable=True`` asks for the artifact to survive a power cut (an object store always
        does). If ``chunks`` raises, that exception propagates and nothing is stored.
        ``InvalidParameter`` when the location is a directory or lies under a file.
        """

    def put_bytes(self, location: str, data: bytes, *, durable: bool = False) -> FileInfo:
        """Store ``data`` at ``location``; see ``put_stream``."""
        return self.put_stream(location, (data,), durable=durable)

    def put_reader(self, location: str, reader: BinaryIO, *, durable: bool = False) -> FileInfo:
        """Store what ``reader`` yields until EOF, read in 1 MiB chunks; see ``put_stream``."""
        chunks = iter(lambda: reader.read(CHUNK_SIZE), b"")
        return self.put_stream(location, chunks, durable=durable)

    def put_file(self, location: str, src: Path, *, durable: bool = False) -> FileInfo:
        """Store the local file ``src`` at ``location``; ``NotFound`` if ``src`` is missing."""
        try:
            reader = src.open("rb")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NotFound(
                f"No local file {src.name!r} to upload (use put_directory for a directory)."
            ) from exc
        with reader:
            return self.put_reader(location, reader, durable=durable)

    def put_directory(self, location: str, src_dir: Path, *, durable: bool = False) -> builtins.list[FileInfo]:
        """Store every file under ``src_dir`` below ``location``, keeping the layout.

        Each file is atomic, the whole is not. Empty directories are not recorded (S3 has none).
        """
        base = clean_relative_path(location)
        if not src_dir.is_dir():
            raise NotFound(f"Local directory {src_dir.name!r} to upload does not exist.")
        stored: builtins.list[FileInfo] = []
        for path, relative in local_files(src_dir):
            try:
                logical = clean_relative_path(f"{base}/{relative}" if base else relative)
            except InvalidParameter as exc:
                raise InvalidParameter(f"Cannot upload {relative!r}: {exc.message}") from exc
            stored.append(self.put_file(logical, path, durable=durable))
        return stored

    @abstractmethod
    def stat(self, location: str) -> FileInfo:
        """Describe the file or directory at ``location``; raises ``NotFound`` when missing."""

    @abstractmethod
    def exists(self, location: str) -> bool:
        """Whether a file or directory is stored at ``location`` (the root, ``''``, always is)."""

    @abstractmethod
    def sha256(self, location: str) -> str:
        """The hex sha256 of the file at ``location``; ``NotFound`` if missing or a directory."""

    @abstractmethod
    def open(self, location: str) -> BinaryIO:
        """Open the file at ``location`` for reading, unverified; ``NotFound`` if missing or a
        directory. Close it when done."""

    @abstractmethod
    def iter_bytes(self, location: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the file at ``location`` in chunks, verifying its sha256 on the way.

        ``NotFound`` comes from this call, before any chunk (a server can still answer 404).
        The last chunk is held back until the content is verified: on a mismatch
        ``StoreUnavailable`` is raised instead, so a reader never receives the whole (wrong) file.
        """

    @abstractmethod
    def iter_range(self, location: str, start: int, stop: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield bytes ``start`` to ``stop`` (exclusive) of the file at ``location``, unverified
        (a part cannot be checked against the whole file's sha256). ``NotFound`` from the call."""

    @abstractmethod
    def list(self, location: str = "") -> builtins.list[FileInfo]:
        """The immediate children of the directory at ``location`` (``''`` = root), by name.

        ``FileInfo.path`` is the full logical path. A missing location gives ``[]`` and so does
        a file location, as in MLflow's ``LocalArtifactRepository.list_artifacts``.
        """

    @abstractmethod
    def download(self, location: str, dest_dir: Path) -> Path:
        """Copy the file or tree at ``location`` to ``dest_dir/<name>`` and return that path.

        The root, ``''``, fills ``dest_dir`` itself. Every file's sha256 is checked: a mismatch
        raises ``StoreUnavailable`` and leaves no file behind. ``NotFound`` when nothing is there.
        """

    @abstractmethod
    def delete(self, location: str) -> None:
        """Remove the file or subtree at ``location`` (not ``''``); blobs stay until GC runs."""

    @abstractmethod
    def collect_garbage(self) -> int:
        """Remove blobs no index entry references; return the bytes freed."""

    def presigned_uploads(self) -> PresignedUploads:
        """Uploads whose parts a client sends straight to the object store (``presigned.py``).

        ``Unsupported`` for a store that has no object store behind it (a folder).
        """
        raise Unsupported(f"Presigned uploads need an artifact store on S3; {self.destination} is not one.")

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""


def local_files(directory: Path) -> Iterator[tuple[Path, str]]:
    """Every file under ``directory`` with its relative POSIX path, in sorted order."""
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            yield path, path.relative_to(directory).as_posix()


def blob_name(sha: str) -> str:
    """Where the blob of content ``sha`` lives, relative to the store's root."""
    return f"blobs/{sha[:2]}/{sha}"


def encode_entry(sha: str, size: int) -> bytes:
    """The index entry recorded at ``tree/<location>``."""
    return json.dumps({"sha256": sha, "size": size}, separators=(",", ":")).encode()


def decode_entry(location: str, raw: bytes) -> tuple[str, int]:
    """``(sha256, size)`` from an index entry; ``StoreUnavailable`` when it is damaged."""
    try:
        entry = json.loads(raw)
        sha, size = entry["sha256"], entry["size"]
    except (ValueError, KeyError, TypeError) as exc:
        raise corrupted(location) from exc
    # The sha becomes a blob path or key, so a damaged entry must not steer it elsewhere.
    if not (isinstance(sha, str) and _SHA256_HEX.fullmatch(sha) and isinstance(size, int) and size >= 0):
        raise corrupted(location)
    return sha, size


def corrupted(location: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"Artifact {location!r} is corrupted in the artifact store (its content no longer "
        "matches its sha256); restore the store from a backup or log the artifact again."
    )


def verified(location: str, chunks: Iterable[bytes], sha: str, size: int) -> Iterator[bytes]:
    """Pass ``chunks`` through, holding the last one back until the whole matches ``sha`` and
    ``size``; a mismatch raises ``StoreUnavailable`` in its place."""
    digest = hashlib.sha256()
    seen = 0
    held: bytes | None = None
    for chunk in chunks:
        if not chunk:
            continue
        digest.update(chunk)
        seen += len(chunk)
        if held is not None:
            yield held
        held = chunk
    if seen != size or digest.hexdigest() != sha:
        raise corrupted(location)
    if held is not None:
        yield held


def save_verified(chunks: Iterable[bytes], dest: Path) -> None:
    """Write ``chunks`` (from ``verified``) to ``dest`` through a staged file beside it, so a
    failed or corrupted download leaves nothing at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = dest.parent / f".{dest.name}.cairn-download-{uuid.uuid4().hex}"
    # Mode 0o666 so the umask applies, as to any other file the user writes.
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(staged, dest)
    finally:
        staged.unlink(missing_ok=True)
