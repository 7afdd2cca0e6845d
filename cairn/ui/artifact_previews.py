"""Safe previews of a run's artifacts: what kind a file is, and how much of it a page may show.

Text, JSON, CSV/TSV and raster images are previewed (a JSON table in MLflow's ``log_table``
layout, ``{"columns": [...], "data": [[...]]}``, as a table); HTML and SVG never are (an uploaded page or
drawing can carry script): they are offered for download only, which the server sends as an
attachment with ``nosniff``. Text previews read at most ``PREVIEW_MAX_BYTES``; tables show at
most ``PREVIEW_MAX_ROWS`` rows; images are shown up to ``IMAGE_PREVIEW_MAX_BYTES``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.client.media_images import IMAGES_DIR
from cairn.client.media_index import MediaItem, collect, read_index
from cairn.entities import FileInfo, Run
from cairn.errors import NotFound
from cairn.tracking.locations import store_path_of

PREVIEW_MAX_BYTES = 256 * 1024
PREVIEW_MAX_ROWS = 200
IMAGE_PREVIEW_MAX_BYTES = 10 * 1024 * 1024

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
NEVER_INLINE = frozenset({".html", ".htm", ".xhtml", ".svg", ".svgz", ".xml"})
_TABLES = {".csv": ",", ".tsv": "\t"}


@dataclass
class Preview:
    path: str
    kind: str  # text, json, table, image, blocked, binary, too-large
    size: int | None
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False


def location_of(run: Run, path: str, *, allow_empty: bool = True) -> str:
    root = store_path_of(run.info.artifact_uri)
    relative = clean_relative_path(path, allow_empty=allow_empty)
    return f"{root}/{relative}" if relative else root


def list_files(store: ArtifactStore, run: Run, path: str) -> list[FileInfo]:
    """Entries directly under ``path``, paths relative to the run's artifact root, folders first."""
    root = store_path_of(run.info.artifact_uri)
    found = [FileInfo(f.path[len(root) + 1 :], f.is_dir, f.file_size) for f in store.list(location_of(run, path))]
    return sorted(found, key=lambda f: (not f.is_dir, f.path))


def preview(store: ArtifactStore, run: Run, path: str) -> Preview:
    location = location_of(run, path, allow_empty=False)
    info = store.stat(location)
    if info.is_dir:
        raise NotFound(f"'{path}' is a folder, not a file.")
    suffix = PurePosixPath(path).suffix.lower()
    shown = Preview(path, "blocked", info.file_size)
    if suffix in NEVER_INLINE:
        return shown
    if suffix in IMAGE_TYPES:
        too_big = (info.file_size or 0) > IMAGE_PREVIEW_MAX_BYTES
        shown.kind = "too-large" if too_big else "image"
        return shown
    with store.open(location) as stream:
        head = stream.read(PREVIEW_MAX_BYTES + 1)
    shown.truncated = len(head) > PREVIEW_MAX_BYTES
    head = head[:PREVIEW_MAX_BYTES]
    if b"\x00" in head:
        shown.kind = "binary"
        return shown
    text = head.decode("utf-8", errors="replace")
    shown.kind, shown.text = "text", text
    if suffix == ".json" and not shown.truncated:
        try:
            document = json.loads(text)
        except ValueError:
            return shown
        shown.text, shown.kind = json.dumps(document, indent=2, ensure_ascii=False), "json"
        if _is_split_table(document):
            shown.rows = [[str(c) for c in document["columns"]]]
            shown.rows += [["" if v is None else str(v) for v in row] for row in document["data"][:PREVIEW_MAX_ROWS]]
            shown.truncated = len(document["data"]) > PREVIEW_MAX_ROWS
            shown.kind = "table"
    elif suffix in _TABLES:
        reader = csv.reader(io.StringIO(text), delimiter=_TABLES[suffix])
        for row in reader:  # the header row, then at most PREVIEW_MAX_ROWS rows
            if len(shown.rows) > PREVIEW_MAX_ROWS:
                shown.truncated = True
                break
            shown.rows.append(row)
        shown.kind = "table"
    return shown


def _is_split_table(document: object) -> bool:
    return (isinstance(document, dict) and isinstance(document.get("columns"), list)
            and isinstance(document.get("data"), list) and all(isinstance(r, list) for r in document["data"]))


def media_of(store: ArtifactStore, run: Run) -> list[MediaItem]:
    """The run's images, figures, tables and texts per key and step (``cairn.client.media_index``):
    keyed images from ``images/``'s names, the rest from the run's tags."""
    tags = run.data.tags
    return collect(list_files(store, run, IMAGES_DIR), tags, read_index(tags))
