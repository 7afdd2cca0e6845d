"""Which media a run holds, per key and step, whichever client logged them.

Three sources, read together by ``collect``:

- ``images/``: a keyed image's file names carry its key, step and time (MLflow's layout, which
  both clients write), so listing the folder is the index; no extra write per image.
- the ``mlflow.loggedArtifacts`` tag: the tables either client logged.
- the ``cairn.media`` tags: Cairn's index of what the layouts above cannot say — figures, texts
  and images saved under a file name of the user's choosing — a JSON list of entries
  ``{"kind", "path", "step", "timestamp"}`` (plus ``"key"`` when it is not the path). Tags, like
  MLflow's own table index, so the index adds no file to the run's artifacts; a list longer than
  a tag value holds continues in ``cairn.media.2``, ``cairn.media.3``, ...
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cairn.entities import FileInfo

from .media_images import parse_image_name
from .media_tables import logged_tables

INDEX_TAG = "cairn.media"
KINDS = ("image", "figure", "table", "text")


@dataclass(frozen=True)
class MediaItem:
    """One logged medium: ``path`` is the artifact to download; ``preview`` a smaller twin (images)."""

    kind: str
    key: str
    path: str
    step: int | None = None
    timestamp: int | None = None
    preview: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def entry(kind: str, key: str, path: str, step: int | None, timestamp: int | None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": kind, "path": path, "step": step, "timestamp": timestamp}
    if key != path:
        item["key"] = key
    return item


def tag_name(number: int) -> str:
    return INDEX_TAG if number == 1 else f"{INDEX_TAG}.{number}"


def read_index(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """The index entries the run's ``cairn.media`` tags hold, in logging order."""
    items: list[dict[str, Any]] = []
    number = 1
    while tag_name(number) in tags:
        try:
            chunk = json.loads(tags[tag_name(number)])
        except ValueError:
            chunk = []
        items += [i for i in chunk if isinstance(i, dict) and isinstance(i.get("path"), str)] \
            if isinstance(chunk, list) else []
        number += 1
    return items


def last_chunk(items: list[Mapping[str, Any]], limit: int) -> tuple[str, str]:
    """The tag (name, value) that changes when ``items[-1]`` is appended: entries fill
    ``cairn.media``, then ``cairn.media.2``, ... each value at most ``limit`` characters."""
    number, chunk = 1, []
    for item in items:
        if chunk and len(_dump([*chunk, item])) > limit:
            number, chunk = number + 1, []
        chunk.append(item)
    return tag_name(number), _dump(chunk)


def _dump(items: list[Mapping[str, Any]]) -> str:
    return json.dumps(items, separators=(",", ":"))


def images_from_listing(files: Iterable[FileInfo]) -> list[MediaItem]:
    """Keyed images from the names in ``images/``, each full-size PNG with its WebP preview."""
    full: dict[tuple[str, int, int, str], str] = {}
    small: dict[tuple[str, int, int, str], str] = {}
    for info in files:
        if info.is_dir:
            continue
        name = parse_image_name(info.path)
        if name is None:
            continue
        ident = (name.key, name.step, name.timestamp, name.uid)
        (small if name.compressed else full)[ident] = info.path
    return [MediaItem("image", key, path, step, ts, small.get((key, step, ts, uid)))
            for (key, step, ts, uid), path in full.items()]


def collect(image_files: Iterable[FileInfo], tags: Mapping[str, str], index: Iterable[Mapping[str, Any]],
            key: str | None = None) -> list[MediaItem]:
    """Every medium of a run (only ``key``'s when given), ordered by key, step, time."""
    items = images_from_listing(image_files)
    seen = {i.path for i in items}
    for raw in index:
        if raw["path"] in seen or raw.get("kind") not in KINDS:
            continue
        seen.add(raw["path"])
        items.append(MediaItem(str(raw["kind"]), str(raw.get("key") or raw["path"]), raw["path"],
                               _int(raw.get("step")), _int(raw.get("timestamp"))))
    for path in logged_tables(tags):
        if path not in seen:
            seen.add(path)
            items.append(MediaItem("table", path, path))
    if key is not None:
        items = [i for i in items if i.key == key]
    return sorted(items, key=lambda i: (i.key, i.step if i.step is not None else -1, i.timestamp or 0, i.path))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
