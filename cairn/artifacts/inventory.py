"""Walking an artifact store through its public listing: every file below a place, and how many
bytes of storage deleting some places would free.

Only ``list`` and ``sha256`` are used, the methods every artifact store has, so the same code
serves the local store and an object store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Protocol

from cairn.entities import FileInfo
from cairn.errors import NotFound


class Listable(Protocol):
    def list(self, location: str = "") -> list[FileInfo]:
        """The immediate children of ``location``; ``[]`` when nothing is there."""

    def sha256(self, location: str) -> str:
        """The hex sha256 of the file at ``location``; ``NotFound`` if missing."""


def walk_files(store: Listable, location: str = "", skip: Collection[str] = ()) -> Iterator[FileInfo]:
    """Every file below the folder ``location`` (``''``: the whole store), leaving out the
    subtrees at ``skip`` (store paths)."""
    pending = [location]
    while pending:
        for info in store.list(pending.pop()):
            if info.path in skip:
                continue
            if info.is_dir:
                pending.append(info.path)
            else:
                yield info


def bytes_freed_by(store: Listable, removed: Collection[str]) -> int:
    """The bytes of distinct content found only below the places ``removed`` (store paths): what
    deleting them and then collecting the store's garbage would free. Content that some other
    artifact shares stays, so it does not count."""
    leaving: dict[str, int] = {}
    for place in removed:
        for info in walk_files(store, place):
            digest = _digest(store, info.path)
            if digest is not None:
                leaving[digest] = info.file_size or 0
    if not leaving:
        return 0
    staying = set()
    for info in walk_files(store, "", skip=set(removed)):
        if _inside(info.path, removed):
            continue
        digest = _digest(store, info.path)
        if digest is not None:
            staying.add(digest)
    return sum(size for digest, size in leaving.items() if digest not in staying)


def _digest(store: Listable, location: str) -> str | None:
    try:
        return store.sha256(location)
    except NotFound:  # deleted while we walked
        return None


def _inside(path: str, places: Collection[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in places)
