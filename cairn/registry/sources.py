"""A model version's source: kept as the client gave it, resolved to where its files are.

MLflow clients read a version's ``source`` back and search on it (``source_path = 'runs:/...'``),
so it is stored as given. Beside it, registration records where the files are:

1. ``runs:/<run_id>/<path>``: the run's artifact location plus the path, or, when the run logged
   a model named by the path's first part (mlflow 3's ``log_model(name=...)``), that logged
   model's files, as the mlflow client resolves it. ``run_id``, when also given, must name the
   same run. A run this server does not hold is accepted and recorded as external (its files are
   elsewhere); so is a run whose artifacts live in a remote store.
2. ``models:/<logged_model_id>`` (what mlflow 3's ``log_model(..., registered_model_name=...)``
   sends): the logged model's artifact location; its id becomes the version's ``model_id`` and
   its source run the version's run unless one is given. It must exist on this server.
3. ``models:/<name>/<version>`` (also ``@alias``, ``/<stage>``, ``/latest``; what
   ``copy_model_version`` sends): the named version's files, run and logged model. The source is
   stored as ``models:/<name>/<number>``, as MLflow does; a ``run_id`` or ``model_id`` given with
   it must match the named version's, and a version whose files retention deleted is refused.
4. ``mlflow-artifacts:/<path>``: that place in Cairn's artifact store.
5. A remote store URI (``s3://``, ``gs://``, ``wasbs://``, ``https://``, ``dbfs:/``...; see
   ``cairn.tracking.locations``): accepted and recorded as external. Cairn never fetches it.

Anything else is refused, saying why: a local path or ``file:`` URI (it would name a file on the
server's disk), an unknown scheme, and any path with ``..``, ``?``, ``#``, control characters or
encoded separators (the one safe-path check, ``cairn.artifacts.paths``). So registering a version
can never make the server read, serve or fetch an arbitrary file or URL (DESIGN, security rules).

``storage_location`` is what MLflow's ``get_model_version_download_uri`` answers when it differs
from the source (cases 2 and 3, resolved now so the answer survives the named version's deletion);
``files_location`` is where Cairn itself reads the files, None when they are external.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cairn.artifacts.paths import clean_relative_path
from cairn.entities import LifecycleStage, ModelVersion
from cairn.errors import InvalidParameter, NotFound
from cairn.store import logged_models as logged_model_rows
from cairn.store import runs as run_rows
from cairn.store.registry_models import Tx
from cairn.tracking.locations import SCHEME as ARTIFACTS_SCHEME
from cairn.tracking.locations import is_remote_uri, validate_remote_uri
from cairn.tracking.validation import parse_run_reference

from .refs import find_version
from .retention import refuse_collected

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
# The source column's width.
MAX_SOURCE_LENGTH = 1000
_LOGGED_MODEL_ID = re.compile(r"^[A-Za-z0-9][\w\-]{0,63}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DRIVE_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_SHOWN = 200
_USE = ("Use 'runs:/<run_id>/<path>' for a model logged to a run, 'models:/<logged_model_id>', "
        "'models:/<name>/<version>', 'mlflow-artifacts:/<path>', or a remote store URI such as 's3://bucket/path'.")


@dataclass(frozen=True)
class ResolvedSource:
    source: str  # as stored and returned
    storage_location: str | None  # MLflow's download URI when it is not the source itself
    files_location: str | None  # mlflow-artifacts:/... where Cairn reads the files; None: external
    run_id: str | None
    model_id: str | None


def resolve_source(tx: Tx, source: object, run_id: str | None, model_id: str | None = None) -> ResolvedSource:
    """What to store for a version registered from ``source`` (see the module docstring).

    ``InvalidParameter`` for a refused source or a run or model id that disagrees with it;
    ``NotFound`` for a missing logged model or registered version named by a ``models:/`` source.
    """
    if not isinstance(source, str) or not source:
        raise InvalidParameter("A model version needs a source, e.g. 'runs:/<run_id>/model'.")
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidParameter(f"Model version source is {len(source)} characters long; the limit is "
                               f"{MAX_SOURCE_LENGTH}.")
    if run_id is not None:
        parse_run_reference(run_id)
    if model_id is not None and not _LOGGED_MODEL_ID.match(model_id):
        raise InvalidParameter(f"model_id '{model_id[:_SHOWN]}' is not a logged model id (m-...).")
    if source.startswith(RUNS_SCHEME):
        return _from_run(tx, source, run_id, model_id)
    if source.startswith(MODELS_SCHEME):
        named = source[len(MODELS_SCHEME):]
        if "/" in named or "@" in named:
            return _from_registered_version(tx, source, run_id, model_id)
        return _from_logged_model(tx, source, named, run_id, model_id)
    if source.startswith(ARTIFACTS_SCHEME):
        relative = _path(source, source[len(ARTIFACTS_SCHEME):].lstrip("/"), allow_empty=False)
        return _checked_model(tx, ResolvedSource(source, None, f"{ARTIFACTS_SCHEME}/{relative}", run_id, model_id))
    if is_remote_uri(source):
        validate_remote_uri("Model version source", source)
        return _checked_model(tx, ResolvedSource(source, None, None, run_id, model_id))
    raise InvalidParameter(_refusal(source))


def _from_run(tx: Tx, source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    source_run, _, path = source[len(RUNS_SCHEME):].lstrip("/").partition("/")
    parse_run_reference(source_run)
    if run_id is not None and source_run != run_id:
        raise InvalidParameter(f"Source names run '{source_run[:_SHOWN]}' but run_id is '{run_id}'; give one run.")
    relative = _path(source, path, allow_empty=True)
    info = run_rows.get_run_info(tx, source_run)
    if info is None:
        return _checked_model(tx, ResolvedSource(source, None, None, source_run, model_id))
    name, _, inside = relative.partition("/")
    logged = logged_model_rows.find_run_model(tx, int(info.experiment_id), name, source_run) if name else None
    root, below = (logged["artifact_location"], inside) if logged is not None else (info.artifact_uri, relative)
    files = _in_store(root)
    if files is not None and below:
        files = f"{files}/{below}"
    return _checked_model(tx, ResolvedSource(source, None, files, source_run, model_id))


def _from_logged_model(tx: Tx, source: str, named: str, run_id: str | None,
                       model_id: str | None) -> ResolvedSource:
    if not _LOGGED_MODEL_ID.match(named):
        raise InvalidParameter(
            f"Model version source '{source[:_SHOWN]}' does not name a logged model: use "
            "'models:/<logged_model_id>' (m-...), or 'models:/<name>/<version>' for a registered version."
        )
    if model_id is not None and model_id != named:
        raise InvalidParameter(f"Source names logged model '{named}' but model_id is '{model_id}'; give one model.")
    row = _logged_model(tx, named)
    location = row["artifact_location"]
    return ResolvedSource(source, location, _in_store(location), run_id or row["source_run_id"], named)


def _from_registered_version(tx: Tx, source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    named = find_version(tx, source)
    refuse_collected(named, "copy")
    for given, theirs, what in ((run_id, named.run_id, "run_id"), (model_id, named.model_id, "model_id")):
        if given is not None and given != theirs:
            raise InvalidParameter(
                f"Model version source '{source[:_SHOWN]}' is version {named.version} of '{named.name}', whose "
                f"{what} is {theirs or 'not set'}, not '{given}'; leave {what} out or give the same one."
            )
    return ResolvedSource(
        f"{MODELS_SCHEME}{named.name}/{named.version}", named.storage_location or named.source,
        named.files_location, named.run_id, named.model_id,
    )


def _checked_model(tx: Tx, resolved: ResolvedSource) -> ResolvedSource:
    if resolved.model_id is not None:
        _logged_model(tx, resolved.model_id)
    for where in (resolved.files_location, resolved.storage_location):
        # A source path under a run's or model's folder resolves to a longer location than itself.
        if where is not None and len(where) > MAX_SOURCE_LENGTH:
            raise InvalidParameter(f"Model version source '{resolved.source[:_SHOWN]}' resolves to a location of "
                                   f"{len(where)} characters; the limit is {MAX_SOURCE_LENGTH}: use a shorter path.")
    return resolved


def _logged_model(tx: Tx, model_id: str) -> dict[str, Any]:
    row = logged_model_rows.get_model_row(tx, model_id)
    if row is None or row["lifecycle_stage"] != LifecycleStage.ACTIVE.value:
        raise NotFound(f"Logged model '{model_id}' not found; a model version can only name an existing one.")
    return row


def _in_store(location: str) -> str | None:
    if not location.startswith(ARTIFACTS_SCHEME):
        return None  # the experiment keeps its artifacts in a remote store
    return f"{ARTIFACTS_SCHEME}/{clean_relative_path(location[len(ARTIFACTS_SCHEME):].lstrip('/'), allow_empty=False)}"


def _path(source: str, path: str, *, allow_empty: bool) -> str:
    try:
        return clean_relative_path(path, allow_empty=allow_empty)
    except InvalidParameter as exc:
        raise InvalidParameter(f"Model version source '{source[:_SHOWN]}' is refused: {exc.message}") from exc


def _refusal(source: str) -> str:
    shown = source[:_SHOWN]
    scheme = _SCHEME.match(source)
    if scheme is None or scheme.group(1).lower() == "file" or _DRIVE_PATH.match(source):
        return (f"Model version source '{shown}' is a path on the server's disk, which Cairn never reads. Log the "
                f"model to a run and register it from there. {_USE}")
    return f"Model version source '{shown}' uses the scheme '{scheme.group(1)}:', which Cairn does not accept. {_USE}"


def refuse_external(version: ModelVersion, what: str) -> str:
    """The ``mlflow-artifacts:/`` location of ``version``'s files; ``InvalidParameter`` naming
    the refused action (``what``) when they are outside Cairn's store, which never fetches them."""
    if version.files_location is not None:
        return version.files_location
    raise InvalidParameter(
        f"Cannot {what} version {version.version} of '{version.name}': its files are outside Cairn's artifact store "
        f"(source '{version.source[:_SHOWN]}'), and Cairn never fetches them. Use a client that reaches that "
        "store, e.g. mlflow.pyfunc.load_model with the version's download URI."
    )
