"""Which experiment or registered model a request is about, read the way its handler reads it.

The route table (``cairn.auth.route_table``) says where each route names its resource: a field
(query string for GET, JSON body otherwise, as ``decoders.request_fields`` reads them), a path
parameter, or something to look up (a run's experiment, a logged model's experiment, the
experiment whose artifact location holds a path, the model a prediction was made by). This
module turns that into ``Target``s with the key grants are stored under; a resource that does
not exist gets the key None, and the caller's default permission decides, as for any resource
they hold no grant on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams

from cairn.auth.access import Target
from cairn.auth.grants import EXPERIMENT, REGISTERED_MODEL, RESOURCE_TYPES
from cairn.auth.route_table import (
    ARTIFACT_PATH,
    ARTIFACT_QUERY_PATH,
    EXPERIMENT_ID,
    EXPERIMENT_IDS,
    EXPERIMENT_NAME,
    EXPERIMENT_PATH,
    GRANT_TARGET,
    LOGGED_MODEL,
    MODEL_NAME,
    MODEL_PATH,
    MODEL_REF,
    PREDICTION_ID,
    PREDICTION_MODELS,
    PREDICTION_PATH,
    RUN_ID,
    RUN_IDS,
    RUN_PATH,
    SOURCE_RUN_ID,
    Check,
    Rule,
)
from cairn.errors import CairnError, InvalidParameter
from cairn.registry.refs import split_model_ref
from cairn.store import auth_grants as rows
from cairn.store.auth_grants import Tx
from cairn.store.database import Database
from cairn.tracking.validation import parse_experiment_id

from .fields import Fields

# Deeper artifact locations than this are not looked for (experiment locations are short).
MAX_LOCATION_DEPTH = 32
# Runs a compare request may name that are looked up; the page itself refuses more than it shows.
MAX_RUNS_NAMED = 64
# Fields, not path parameters: these need the query string or the JSON body.
FIELD_LOCATIONS = frozenset({EXPERIMENT_ID, EXPERIMENT_IDS, EXPERIMENT_NAME, RUN_ID, RUN_IDS, SOURCE_RUN_ID,
                             ARTIFACT_QUERY_PATH, MODEL_NAME, MODEL_REF, PREDICTION_ID, PREDICTION_MODELS,
                             GRANT_TARGET})


def needs_fields(rule: Rule) -> bool:
    return any(check.where in FIELD_LOCATIONS for check in rule.checks)


def request_fields_of(method: str, query: bytes, body: dict[str, Any] | None) -> Fields:
    """The fields as ``decoders.request_fields`` reads them: GET with a query string reads the
    query string, anything else the JSON body."""
    if method in ("GET", "HEAD") and query:
        return Fields(QueryParams(query.decode("latin-1")))
    return Fields(body or {})


def locate(db: Database, rule: Rule, fields: Fields, params: Mapping[str, str]) -> list[Target]:
    """Every resource the rule's checks name in this request."""
    targets: list[Target] = []
    with db.read() as tx:
        for check in rule.checks:
            targets += _targets(tx, check, fields, params)
    return targets


def _targets(tx: Tx, check: Check, fields: Fields, params: Mapping[str, str]) -> list[Target]:
    where = check.where
    if where == EXPERIMENT_ID:
        text = _string(fields, "experiment_id")
        return [_experiment(tx, check, text, _experiment_key(tx, text), named=bool(text))]
    if where == EXPERIMENT_PATH:
        text = params.get("experiment_id", "")
        return [_experiment(tx, check, text, _experiment_key(tx, text), named=bool(text))]
    if where == EXPERIMENT_IDS:
        ids = _strings(fields, "experiment_ids")
        return [_experiment(tx, check, text, _experiment_key(tx, text), named=True) for text in ids] or [
            _experiment(tx, check, "(none named)", None)]
    if where == EXPERIMENT_NAME:
        name = _string(fields, "experiment_name")
        return [_experiment(tx, check, repr(name), rows.experiment_key_by_name(tx, name) if name else None,
                            named=bool(name))]
    if where in (RUN_ID, SOURCE_RUN_ID):
        run_id = _string(fields, "run_id") or _string(fields, "run_uuid")
        if not run_id and check.optional:
            return []
        return [_experiment(tx, check, f"of run {run_id}", rows.experiment_key_of_run(tx, run_id) if run_id else None,
                            named=bool(run_id))]
    if where == RUN_PATH:
        run_id = params.get("run_id", "")
        return [_experiment(tx, check, f"of run {run_id}", rows.experiment_key_of_run(tx, run_id) if run_id else None,
                            named=bool(run_id))]
    if where == RUN_IDS:
        run_ids = list(dict.fromkeys(v.strip() for v in _strings(fields, "run") if v.strip()))[:MAX_RUNS_NAMED]
        return [_experiment(tx, check, f"of run {run_id}", rows.experiment_key_of_run(tx, run_id), named=True)
                for run_id in run_ids] or [_experiment(tx, check, "(no run named)", None)]
    if where == LOGGED_MODEL:
        model_id = params.get("model_id", "")
        return [_experiment(tx, check, f"of logged model {model_id}",
                            rows.experiment_key_of_logged_model(tx, model_id), named=bool(model_id))]
    if where in (ARTIFACT_PATH, ARTIFACT_QUERY_PATH):
        path = params.get("path", "") if where == ARTIFACT_PATH else _string(fields, "path")
        keys = rows.experiment_keys_of_artifact_path(tx, path, MAX_LOCATION_DEPTH) if path else []
        label = f"holding artifact path {path!r}"
        return [_experiment(tx, check, label, key) for key in keys] or [_experiment(tx, check, label, None)]
    if where == MODEL_NAME:
        return [_model(tx, check, _string(fields, "name"))]
    if where == MODEL_PATH:
        return [_model(tx, check, params.get("name", ""))]
    if where == MODEL_REF:
        try:
            name = split_model_ref(_string(fields, "ref"))[0]
        except InvalidParameter:
            name = ""
        return [_model(tx, check, name)]
    if where in (PREDICTION_ID, PREDICTION_PATH):
        prediction_id = _string(fields, "prediction_id") if where == PREDICTION_ID else params.get("prediction_id", "")
        model_name = rows.model_name_of_prediction(tx, prediction_id) if prediction_id else None
        if model_name is None:
            return [Target(check, REGISTERED_MODEL, None, f"of prediction {prediction_id}", missing=bool(prediction_id))]
        return [_model(tx, check, model_name, label=f"of prediction {prediction_id}")]
    if where == PREDICTION_MODELS:
        records = fields.raw("predictions")
        names = sorted({r.get("model_name") for r in records if isinstance(r, dict)} - {None}) \
            if isinstance(records, list) else []
        return [_model(tx, check, n if isinstance(n, str) else "") for n in names] or [_model(tx, check, "")]
    if where == GRANT_TARGET:
        return [_grant_target(tx, check, fields)]
    raise CairnError(f"The route table names an unknown resource location {where!r}.")


def _grant_target(tx: Tx, check: Check, fields: Fields) -> Target:
    resource_type, resource_id = _string(fields, "resource_type"), _string(fields, "resource_id")
    resolved = Check(resource_type if resource_type in RESOURCE_TYPES else EXPERIMENT, check.capability, check.where)
    if resource_type == REGISTERED_MODEL:
        return _model(tx, resolved, resource_id)
    key = _experiment_key(tx, resource_id) if resource_type == EXPERIMENT else None
    return _experiment(tx, resolved, resource_id, key)


def _experiment(tx: Tx, check: Check, label: str, key: str | None, *, named: bool = False) -> Target:
    """``named``: the request gave an id or name, so a None key means it does not exist."""
    return Target(check, EXPERIMENT, key, label, missing=named and key is None)


def _model(tx: Tx, check: Check, name: str, label: str | None = None) -> Target:
    key = rows.model_key(tx, name) if name else None
    return Target(check, REGISTERED_MODEL, key, label or repr(name), missing=bool(name) and key is None)


def _experiment_key(tx: Tx, text: str) -> str | None:
    try:
        return rows.experiment_key(tx, parse_experiment_id(text)) if text else None
    except InvalidParameter:
        return None


def _string(fields: Fields, name: str) -> str:
    """The field as its handler reads it, or "" when absent or not a string (the handler then
    refuses the request itself)."""
    try:
        return fields.string(name) or ""
    except InvalidParameter:
        return ""


def _strings(fields: Fields, name: str) -> list[str]:
    try:
        return [str(v) for v in fields.strings(name)]
    except InvalidParameter:
        return []
