"""Where a model version's files are: always inside Cairn's own artifact store.

A version's ``source`` is given as ``runs:/<run_id>/<path>`` (resolved here to the run's
artifact location), as ``models:/<logged_model_id>`` (what mlflow 3's ``log_model(...,
registered_model_name=...)`` sends; resolved to the logged model's artifact location and source
run) or as ``mlflow-artifacts:/<path>``; all go through the one safe-path check.
Anything else (a local path, ``file://``, ``s3://``, ``http://``) is refused, so registering a
version can never make the server read or serve an arbitrary file or URL (DESIGN, security rules).
"""

from __future__ import annotations

import re

from cairn.artifacts.paths import clean_relative_path
from cairn.entities import LifecycleStage
from cairn.errors import InvalidParameter, NotFound
from cairn.store import logged_models as logged_model_rows
from cairn.store import runs as run_rows
from cairn.store.registry_models import Tx
from cairn.tracking.locations import SCHEME as ARTIFACTS_SCHEME
from cairn.tracking.validation import parse_run_id

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
_LOGGED_MODEL_ID = re.compile(r"^[A-Za-z0-9][\w\-]{0,63}$")
_SHOWN = 200


def resolve_source(tx: Tx, source: object, run_id: str | None) -> tuple[str, str | None]:
    """The stored form of ``source`` (``mlflow-artifacts:/...``) and the run it belongs to.

    ``InvalidParameter`` for a source outside the artifact store, an unsafe path, or a run id
    that disagrees with the one in a ``runs:/`` URI; ``NotFound`` for a missing run.
    """
    if not isinstance(source, str) or not source:
        raise InvalidParameter("A model version needs a source, e.g. 'runs:/<run_id>/model'.")
    if run_id is not None:
        _require_run(tx, run_id)
    if source.startswith(RUNS_SCHEME):
        source_run, _, path = source[len(RUNS_SCHEME):].lstrip("/").partition("/")
        if run_id is not None and source_run != run_id:
            raise InvalidParameter(f"Source names run '{source_run[:_SHOWN]}' but run_id is '{run_id}'; give one run.")
        artifact_uri = _require_run(tx, source_run)
        relative = clean_relative_path(path)
        return (f"{artifact_uri.rstrip('/')}/{relative}" if relative else artifact_uri), source_run
    if source.startswith(MODELS_SCHEME):
        return _logged_model_location(tx, source[len(MODELS_SCHEME):], run_id)
    if source.startswith(ARTIFACTS_SCHEME):
        relative = clean_relative_path(source[len(ARTIFACTS_SCHEME):].lstrip("/"), allow_empty=False)
        return f"{ARTIFACTS_SCHEME}/{relative}", run_id
    raise InvalidParameter(
        f"Model version source '{source[:_SHOWN]}' is outside Cairn's artifact store. Use "
        "'runs:/<run_id>/<path>' for a model logged to a run, 'models:/<logged_model_id>', or "
        "'mlflow-artifacts:/<path>'."
    )


def _logged_model_location(tx: Tx, model_id: str, run_id: str | None) -> tuple[str, str | None]:
    if not _LOGGED_MODEL_ID.match(model_id):
        raise InvalidParameter(
            f"Model version source 'models:/{model_id[:_SHOWN]}' does not name a logged model: use "
            "'models:/<logged_model_id>' (m-...), or a registered version's own source."
        )
    row = logged_model_rows.get_model_row(tx, model_id)
    if row is None or row["lifecycle_stage"] != LifecycleStage.ACTIVE.value:
        raise NotFound(f"Logged model '{model_id}' not found; a 'models:/' source must name an existing one.")
    location = row["artifact_location"]
    relative = clean_relative_path(location[len(ARTIFACTS_SCHEME):].lstrip("/"), allow_empty=False)
    return f"{ARTIFACTS_SCHEME}/{relative}", run_id or row["source_run_id"]


def _require_run(tx: Tx, run_id: str) -> str:
    parse_run_id(run_id)
    info = run_rows.get_run_info(tx, run_id)
    if info is None:
        raise NotFound(f"Run '{run_id}' not found; a model version's source run must exist.")
    return info.artifact_uri
