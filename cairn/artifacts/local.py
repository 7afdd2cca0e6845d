"""The local artifact store: sha256-addressed blobs plus a path index, on one filesystem.

    blobs/<aa>/<sha256>   file contents, stored once per distinct content
    tree/<location>       a small JSON file {"sha256": ..., "size": ...} per artifact; real dirs
    tmp/                  uploads in progress and index files being written (mode 0o700)
    lock                  flock'd: shared to commit an upload or open a blob, exclusive for GC

The layout is the one ``base.ArtifactStore`` describes (and ``S3ArtifactStore`` keeps under its
prefix), so a store can be copied between a folder and a bucket object for object.

Publishing is two renames on one filesystem: the staged upload becomes a blob (unless that content
is already stored), then a staged index file replaces ``tree/<location>``. Readers see the old
artifact or the new one, never a partial one.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cairn.artifacts.base import (
    CHUNK_SIZE,
    ArtifactStore,
    blob_name,
    corrupted,
    decode_entry,
    encode_entry,
    local_files,
    save_verified,
    verified,
)
from cairn.artifacts.paths import clean_relative_path, resolve_under
from cairn.entities import FileInfo
from cairn.errors import (
    WHERE_CAUSE_IS_LOGGED,
    InvalidParameter,
    NotFound,
    StoreUnavailable,
)

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _store_errors(action: str, location: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        log.error("could not %s artifact %r: %s", action, location, exc)
        raise StoreUnavailable(
            f"Could not {action} artifact {location!r}: the artifact store's disk failed or is "
            f"not writable; {WHERE_CAUSE_IS_LOGGED}."
        ) from exc


def _fsync_dir(path: Path) -> None:
    if sys.platform != "win32":  # Windows cannot open a directory to fsync it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class LocalArtifactStore(ArtifactStore):
    """``ArtifactStore`` in the folder ``root``; locations also go through ``resolve_under``, so a
    symbolic link cannot lead out of the folder. See ``ArtifactStore`` for each method."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._blobs = self.root / "blobs"
        self._tmp = self.root / "tmp"
        with _store_errors("open the store for", ""):
            self._blobs.mkdir(parents=True, exist_ok=True)
            (self.root / "tree").mkdir(exist_ok=True)
            self._tmp.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self._tmp, 0o700)  # mkdir's mode is filtered by the umask
        self._tree = (self.root / "tree").resolve()
        self._thread_lock = threading.Lock()

    @property
    def destination(self) -> str:
        return str(self.root)

    def put_stream(
        self, location: str, chunks: Iterable[bytes], *, durable: bool = False
    ) -> FileInfo:
        """``ArtifactStore.put_stream``; ``durable=True`` adds the fsyncs that make the
        artifact survive a power cut."""
        relative, target = self._locate(location, allow_empty=False)
        self._check_writable(relative, target)
        staged, sha, size = self._stage(relative, chunks, durable)
        return self._commit(relative, target, staged, sha, size, durable)

    def stat(self, location: str) -> FileInfo:
        relative, target = self._locate(location)
        if target.is_dir():
            return FileInfo(path=relative, is_dir=True)
        _, size = self._read_entry(relative, target)
        return FileInfo(path=relative, is_dir=False, file_size=size)

    def exists(self, location: str) -> bool:
        return self._locate(location)[1].exists()

    def sha256(self, location: str) -> str:
        return self._read_entry(*self._locate(location))[0]

    def blob_path(self, location: str) -> Path:
        """The blob behind ``location``, for sendfile; open it soon, GC may drop it once unused."""
        relative, target = self._locate(location)
        blob = self._blob_file(self._read_entry(relative, target)[0])
        if not blob.is_file():
            raise corrupted(relative)
        return blob

    def open(self, location: str) -> BinaryIO:
        return self._open_entry(*self._locate(location))[0]

    def iter_bytes(self, location: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative, target = self._locate(location)
        self._read_entry(relative, target)
        return self._iter_verified(relative, target, chunk_size)

    def iter_range(self, location: str, start: int, stop: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative, target = self._locate(location)
        self._read_entry(relative, target)
        return self._iter_range(relative, target, start, stop, chunk_size)

    def list(self, location: str = "") -> builtins.list[FileInfo]:
        relative, target = self._locate(location)
        with _store_errors("list", relative):
            try:
                with os.scandir(target) as scan:
                    entries = sorted(scan, key=lambda entry: entry.name)
            except (FileNotFoundError, NotADirectoryError):
                return []
        prefix = f"{relative}/" if relative else ""
        infos: builtins.list[FileInfo] = []
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                infos.append(FileInfo(path=path, is_dir=True))
            elif entry.is_file(follow_symlinks=False):
                with contextlib.suppress(NotFound):  # deleted while we were listing
                    size = self._read_entry(path, Path(entry.path))[1]
                    infos.append(FileInfo(path=path, is_dir=False, file_size=size))
        return infos

    def download(self, location: str, dest_dir: Path) -> Path:
        """``ArtifactStore.download``; empty directories of the tree are created too."""
        relative, target = self._locate(location)
        name = relative.rsplit("/", 1)[-1]
        if not target.is_dir():
            self._read_entry(relative, target)  # NotFound before anything is created
            self._copy_verified(relative, target, dest_dir / name)
            return dest_dir / name
        dest_root = dest_dir / name if relative else dest_dir
        dest_root.mkdir(parents=True, exist_ok=True)
        for directory, _, _ in os.walk(target):  # empty directories are part of the layout
            (dest_root / Path(directory).relative_to(target)).mkdir(exist_ok=True)
        prefix = f"{relative}/" if relative else ""
        for index, sub in local_files(target):
            self._copy_verified(prefix + sub, index, dest_root / sub)
        return dest_root

    def delete(self, location: str) -> None:
        relative, target = self._locate(location, allow_empty=False)
        with _store_errors("delete", relative):
            try:
                if target.is_dir():
                    # Moved aside first, so the subtree disappears in one rename.
                    trash = self._tmp / f"delete-{uuid.uuid4().hex}"
                    os.replace(target, trash)
                    shutil.rmtree(trash)
                else:
                    target.unlink()
            except (FileNotFoundError, NotADirectoryError) as exc:
                raise NotFound(f"No artifact at {relative!r}; nothing was deleted.") from exc

    def collect_garbage(self) -> int:
        """Remove blobs no index entry references (uploads wait meanwhile); return bytes freed."""
        with self._locked(exclusive=True), _store_errors("collect garbage for", ""):
            referenced: set[str] = set()
            for index, logical in local_files(self._tree):
                with contextlib.suppress(NotFound):  # deleted during the walk
                    referenced.add(self._read_entry(logical, index)[0])
            freed = 0
            for blob in self._blobs.glob("*/*"):
                if blob.name not in referenced:
                    freed += blob.stat().st_size
                    blob.unlink()
            return freed

    def _locate(self, location: str, *, allow_empty: bool = True) -> tuple[str, Path]:
        relative = clean_relative_path(location, allow_empty=allow_empty)
        return relative, resolve_under(self._tree, relative)

    def _check_writable(self, relative: str, target: Path) -> None:
        if target.is_dir():
            raise InvalidParameter(
                f"Artifact location {relative!r} is a directory; upload to a file path inside it."
            )
        for parent in target.parents:
            if parent == self._tree:
                return
            if parent.is_file():
                raise InvalidParameter(
                    f"Cannot store {relative!r}: {parent.relative_to(self._tree).as_posix()!r} "
                    "is an artifact file, not a directory; choose another path or delete it."
                )

    def _blob_file(self, sha: str) -> Path:
        return self.root / blob_name(sha)

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        if sys.platform == "win32":  # no flock: serialise within this process only
            with self._thread_lock:
                yield
            return
        # A descriptor per call, so the flock also excludes other threads of this process.
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def _stage(
        self, relative: str, chunks: Iterable[bytes], durable: bool
    ) -> tuple[Path, str, int]:
        with _store_errors("stage", relative):
            fd, name = tempfile.mkstemp(dir=self._tmp, prefix="upload-")
        staged = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:  # errors raised by the caller's iterable stay untranslated
                    digest.update(chunk)
                    size += len(chunk)
                    with _store_errors("write", relative):
                        out.write(chunk)
                with _store_errors("write", relative):
                    out.flush()
                    if durable:
                        os.fsync(out.fileno())
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return staged, digest.hexdigest(), size

    def _commit(
        self, relative: str, target: Path, staged: Path, sha: str, size: int, durable: bool
    ) -> FileInfo:
        entry = encode_entry(sha, size)
        staged_entry: Path | None = None
        try:
            staged_entry = self._stage(relative, (entry,), durable)[0]
            # Shared lock: GC must not drop a blob found present here before its index entry exists.
            with self._locked(exclusive=False), _store_errors("store", relative):
                blob = self._blob_file(sha)
                if not (blob.is_file() and blob.stat().st_size == size):  # truncated: replace it
                    blob.parent.mkdir(exist_ok=True)
                    os.replace(staged, blob)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged_entry, target)
                except (IsADirectoryError, FileExistsError, NotADirectoryError):
                    self._check_writable(relative, target)  # a concurrent upload got there first
                    raise
                if durable:
                    _fsync_dir(blob.parent)
                    _fsync_dir(target.parent)
        finally:
            staged.unlink(missing_ok=True)
            if staged_entry is not None:
                staged_entry.unlink(missing_ok=True)
        return FileInfo(path=relative, is_dir=False, file_size=size)

    def _read_entry(self, relative: str, index: Path) -> tuple[str, int]:
        try:
            raw = index.read_bytes()
        except IsADirectoryError as exc:
            raise NotFound(f"{relative!r} is a directory, not a file; list it instead.") from exc
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"No artifact at {relative!r}.") from exc
        except OSError as exc:
            log.error("cannot read the index of artifact %r: %s", relative, exc)
            raise StoreUnavailable(f"Cannot read artifact {relative!r}; {WHERE_CAUSE_IS_LOGGED}.") from exc
        return decode_entry(relative, raw)

    def _open_entry(self, relative: str, index: Path) -> tuple[BinaryIO, str, int]:
        # Under the shared lock, so collect_garbage cannot remove the blob between the two reads.
        with self._locked(exclusive=False):
            sha, size = self._read_entry(relative, index)
            try:
                return self._blob_file(sha).open("rb"), sha, size
            except FileNotFoundError as exc:
                raise corrupted(relative) from exc

    def _iter_verified(self, relative: str, index: Path, chunk_size: int) -> Iterator[bytes]:
        handle, sha, size = self._open_entry(relative, index)
        with handle:
            yield from verified(relative, iter(lambda: handle.read(chunk_size), b""), sha, size)

    def _iter_range(self, relative: str, index: Path, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
        handle, _, _ = self._open_entry(relative, index)
        with handle:
            handle.seek(start)
            left = stop - start
            while left > 0 and (chunk := handle.read(min(chunk_size, left))):
                left -= len(chunk)
                yield chunk

    def _copy_verified(self, relative: str, index: Path, dest: Path) -> None:
        save_verified(self._iter_verified(relative, index, CHUNK_SIZE), dest)
