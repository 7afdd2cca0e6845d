"""What the registry reads from a model's files: the MLmodel descriptor, for the signature and
input-example gates. The registry sees the artifact store only through ``ModelFiles``, so the
server and the embedded client can hand in whichever store they have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.errors import InvalidParameter, NotFound
from cairn.tracking.locations import store_path_of

MLMODEL_FILE = "MLmodel"
MAX_MLMODEL_BYTES = 1024 * 1024

# MLmodel is YAML; only two top-level keys matter here, so a line match avoids a YAML dependency.
_SIGNATURE = re.compile(r"^signature:[ \t]*(?!null\b|~|\{\}|$)\S|^signature:[ \t]*\n[ \t]+\S", re.MULTILINE)
_EXAMPLE_INFO = re.compile(r"^saved_input_example_info:[ \t]*\n((?:[ \t]+.*\n?)+)", re.MULTILINE)
_EXAMPLE_PATH = re.compile(r"^[ \t]+artifact_path:[ \t]*['\"]?([^'\"\s]+)", re.MULTILINE)


class ModelFiles(Protocol):
    def read_text(self, location: str, path: str) -> str | None:
        """The text of ``path`` inside the model at ``location`` (a ``mlflow-artifacts:/``
        location), or None when there is no such file."""


class ArtifactStoreModelFiles:
    """``ModelFiles`` over Cairn's artifact store (a folder or S3)."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def read_text(self, location: str, path: str) -> str | None:
        try:
            file = f"{store_path_of(location)}/{clean_relative_path(path, allow_empty=False)}"
            with self.store.open(file) as handle:
                return handle.read(MAX_MLMODEL_BYTES).decode("utf-8", errors="replace")
        except (NotFound, InvalidParameter):
            return None


@dataclass(frozen=True)
class ModelFacts:
    """What the version's MLmodel says; ``problem`` explains why nothing could be read."""

    has_mlmodel: bool
    has_signature: bool = False
    has_input_example: bool = False
    input_example_path: str | None = None
    problem: str | None = None


def read_model_facts(files: ModelFiles | None, location: str | None) -> ModelFacts:
    """What the MLmodel at ``location`` (a version's ``files_location``) says; a version whose
    files are outside Cairn's store (``location`` None) has none that Cairn reads."""
    if files is None:
        return ModelFacts(False, problem="model files are not readable by this registry")
    if location is None:
        return ModelFacts(False, problem="the version's files are outside Cairn's store, which never fetches them")
    text = files.read_text(location, MLMODEL_FILE)
    if text is None:
        return ModelFacts(False, problem=f"no {MLMODEL_FILE} file in the version's source")
    example_path = None
    info = _EXAMPLE_INFO.search(text)
    if info is not None:
        found = _EXAMPLE_PATH.search(info.group(1))
        example_path = found.group(1) if found else None
    has_example = example_path is not None and files.read_text(location, example_path) is not None
    return ModelFacts(True, bool(_SIGNATURE.search(text)), has_example, example_path)
