"""``MediaMethods``: images, figures, tables and texts on a run, and the list of them per key and
step — in MLflow's artifact layout, so media logged by either client shows up in both.

    client.log_image(run_id, array, key="samples", step=3)     # images/samples%step%3%...png
    client.log_figure(run_id, fig, "plots/roc.png")
    client.log_table(run_id, df, "predictions")                # tables/predictions.json
    client.log_text(run_id, "notes", "notes.md")
    client.list_media(run_id, key="samples")                   # [MediaItem(kind="image", ...)]

Where each kind lives and how the listing finds it: ``media_index``. Cairn's own index (run tags)
is kept per run in this client's memory after its first read, so logging N media costs N small
tag writes, not N reads; two processes logging figures to one run at once can lose each
other's index entries (the files themselves are kept, and keyed images never depend on it).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidParameter, NotFound
from cairn.tracking.validation import MAX_TAG_VALUE_LENGTH

from . import media_images as images
from . import media_index as index
from . import media_tables as tables

if TYPE_CHECKING:
    from cairn.entities import FileInfo, Run

    from .backends import Backend

LOGGED_IMAGES_TAG = "mlflow.loggedImages"


class MediaMethods:
    """Mixed into ``Client``; uses its artifact methods and tags."""

    _backend: Backend
    get_run: Callable[[str], Run]
    set_tag: Callable[[str, str, Any], None]
    list_artifacts: Callable[..., list[FileInfo]]
    _artifact_uri: Callable[[str], str]
    _log_bytes: Callable[[str, bytes, str], None]

    def log_image(self, run_id: str, image: Any, key: str | None = None, step: int | None = None,
                  timestamp: int | None = None, *, artifact_file: str | None = None) -> str:
        """Log an image (NumPy array, PIL image or matplotlib figure) under ``key`` at ``step``
        (a full-size PNG and a small WebP preview, MLflow's layout), or, with ``artifact_file``
        instead of a key, as that one file. Returns the artifact path of the full image."""
        if (key is None) == (artifact_file is None):
            raise InvalidParameter("log_image needs exactly one of key (a series over steps) or artifact_file.")
        picture = images.to_pil(image)
        if artifact_file is not None:
            if step is not None or timestamp is not None:
                raise InvalidParameter("step and timestamp go with key, not with artifact_file.")
            fmt = images.format_of(artifact_file)
            self._log_bytes(run_id, images.encode(picture, fmt), artifact_file)
            self._index_add(run_id, index.entry("image", artifact_file, artifact_file, None, _now_ms()))
            return artifact_file
        ts = timestamp if timestamp is not None else _now_ms()
        full, small = images.image_paths(key, step or 0, ts)
        self._log_bytes(run_id, images.encode(picture, "PNG"), full)
        self._log_bytes(run_id, images.encode(images.preview(picture), "WEBP"), small)
        if run_id not in self._media_state().tagged:
            self.set_tag(run_id, LOGGED_IMAGES_TAG, True)
            self._media_state().tagged.add(run_id)
        return full

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Save a matplotlib (or plotly, with its ``write_image``) figure as ``artifact_file``,
        the format from its extension."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(artifact_file).name
            if hasattr(figure, "savefig"):
                figure.savefig(path)
            elif hasattr(figure, "write_image"):
                figure.write_image(str(path))
            else:
                raise InvalidParameter(f"log_figure takes a matplotlib figure, not {type(figure).__name__}.")
            self._backend.upload_artifact(self._artifact_uri(run_id), path, artifact_file)
        self._index_add(run_id, index.entry("figure", artifact_file, artifact_file, None, _now_ms()))

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self._log_bytes(run_id, text.encode("utf-8"), artifact_file)
        self._index_add(run_id, index.entry("text", artifact_file, artifact_file, None, _now_ms()))

    def log_table(self, run_id: str, data: Any, key: str) -> str:
        """Log a DataFrame or dict of columns as a table (MLflow's ``log_table`` JSON), at ``key``
        if it ends in ``.json``, else ``tables/<key>.json``; rows append to an existing table.
        Returns the artifact path."""
        path = tables.table_path(key)
        new = tables.to_split(data)
        existing = self._read_artifact(run_id, path)
        table = tables.append(json.loads(existing) if existing else None, new)
        self._log_bytes(run_id, tables.encode(table), path)
        tag = tables.with_table(self.get_run(run_id).data.tags, path)
        if tag is not None:
            self.set_tag(run_id, tables.LOGGED_ARTIFACTS_TAG, tag)
        self._index_add(run_id, index.entry("table", key, path, None, _now_ms()))
        return path

    def load_table(self, run_id: str, key: str) -> dict[str, Any]:
        """A logged table as ``{"columns": [...], "data": [[...], ...]}`` (key as given to log_table)."""
        raw = self._read_artifact(run_id, tables.table_path(key))
        if raw is None:
            raise NotFound(f"Run {run_id} has no table '{key}'; `cairn runs media {run_id}` lists its tables.")
        return json.loads(raw)

    def list_media(self, run_id: str, key: str | None = None) -> list[index.MediaItem]:
        """Images, figures, tables and texts of a run (``key``'s only, when given), ordered by key,
        step and time; images logged by an MLflow client and tables from its ``log_table`` too."""
        tags = self.get_run(run_id).data.tags
        image_files = self.list_artifacts(run_id, images.IMAGES_DIR)
        return index.collect(image_files, tags, index.read_index(tags), key)

    # Cairn's index (run tags) -------------------------------------------------------------
    def _media_state(self) -> _MediaState:
        state = self.__dict__.get("_media")
        if state is None:
            state = self.__dict__.setdefault("_media", _MediaState())
        return state

    def _index_add(self, run_id: str, item: dict[str, Any]) -> None:
        """Append ``item`` to the run's index, unless its file is indexed already (logged again:
        the file was replaced, its entry still holds)."""
        state = self._media_state()
        with state.lock:
            items = state.indexes.get(run_id)
            if items is None:
                items = index.read_index(self.get_run(run_id).data.tags)
            if any(i.get("path") == item["path"] for i in items):
                return
            items = [*items, item]
            name, value = index.last_chunk(items, MAX_TAG_VALUE_LENGTH)
            self.set_tag(run_id, name, value)
            state.indexes[run_id] = items

    def _read_artifact(self, run_id: str, path: str) -> bytes | None:
        folder = path.rpartition("/")[0]
        if not any(f.path == path and not f.is_dir for f in self.list_artifacts(run_id, folder)):
            return None
        with tempfile.TemporaryDirectory() as tmp:
            local = self._backend.download_artifacts(self._artifact_uri(run_id), path, Path(tmp))
            return Path(local).read_bytes()


class _MediaState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.indexes: dict[str, list[dict[str, Any]]] = {}
        self.tagged: set[str] = set()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
