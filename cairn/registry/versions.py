"""Model versions: register, read, search, describe, tag, delete.

Numbers are 1, 2, 3... per model, taken from a counter on the model's row while that row is
locked, inside the transaction that inserts the version; the (model, version) primary key backs
it up. Concurrent registrations therefore queue and never share or skip a number.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence

from cairn.entities import Actor, ModelStage, ModelVersion, ModelVersionStatus, PagedList
from cairn.errors import InvalidParameter, NotFound
from cairn.store import logged_models as logged_model_rows
from cairn.store import registry_models as model_rows
from cairn.store import registry_requests as request_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.page_tokens import decode_token, encode_token
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock
from cairn.tracking.validation import parse_run_id, validate_key, validate_max_results

from . import actions, audit, webhooks
from .models import require_model
from .refs import require_version
from .sources import ResolvedSource, resolve_source
from .validation import (
    MAX_RUN_LINK_LENGTH,
    parse_stage,
    parse_version,
    validate_actor_name,
    validate_model_name,
    validate_new_model_name,
    validate_tag,
    validate_text,
)

MAX_VERSIONS_PER_PAGE = 10_000
CANCELLED = "CANCELLED"
BY_NAME_AND_NUMBER = (("name", True), ("version_number", True))
# MLflow's list, on a logged model, of the registered versions made from it.
MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def create_model_version(
    db: Database, name: str, source: str, actor: Actor, run_id: str | None = None,
    description: str | None = None, tags: Mapping[str, str] | None = None, run_link: str | None = None,
    model_id: str | None = None,
) -> ModelVersion:
    """Add the next version of an existing model (``NotFound`` if the model is missing). The
    source is kept as given (rules in ``registry.sources``); a version made from a logged model
    is listed in that model's ``mlflow.modelVersions`` tag."""
    checked = _checked(name, run_id, description, tags, run_link)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        return _insert(tx, model, source, actor, *checked, model_id)


def register_model(
    db: Database, source: str, name: str, actor: Actor, run_id: str | None = None,
    description: str | None = None, tags: Mapping[str, str] | None = None,
) -> ModelVersion:
    """Create the model if it does not exist yet, then its next version, in one transaction."""
    validate_new_model_name(name)
    checked = _checked(name, run_id, description, tags, None)
    with db.write() as tx:
        model, created = model_rows.ensure_model(tx, name, clock.now_ms())
        if created:
            audit.record(tx, model, actions.MODEL_CREATED, actor, clock.now_ms())
        return _insert(tx, model, source, actor, *checked, None)


def get_model_version(db: Database, name: str, version: int | str) -> ModelVersion:
    number = parse_version(version)
    with db.read() as tx:
        return require_version(tx, require_model(tx, validate_model_name(name)), number)


def get_latest_versions(db: Database, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
    """The newest version in each stage (only ``stages`` when given), as MLflow's call."""
    wanted = {parse_stage(s).value for s in stages} if stages else None
    with db.read() as tx:
        found = model_rows.load_model(tx, require_model(tx, validate_model_name(name))).latest_versions
    return [v for v in found if wanted is None or v.current_stage in wanted]


def search_model_versions(
    db: Database, name: str | None = None, run_id: str | None = None, max_results: int = 100,
    page_token: str | None = None, visible: Collection[str] | None = None, *,
    order: Sequence[tuple[str, bool]] = BY_NAME_AND_NUMBER,
) -> PagedList:
    """Versions of one model and/or one source run, by model name then number unless ``order``
    ((key, ascending) pairs over ``rows.VERSION_ORDER_KEYS``) says otherwise; ``visible`` (model
    keys; None: all) is what the caller may read, filtered in the query."""
    if name is not None:
        validate_model_name(name)
    if run_id is not None:
        parse_run_id(run_id)
    unknown = [key for key, _ in order if key not in rows.VERSION_ORDER_KEYS]
    if unknown:
        raise InvalidParameter(f"Cannot order versions by {unknown[0]!r}; use {', '.join(rows.VERSION_ORDER_KEYS)}.")
    limit = validate_max_results(max_results, MAX_VERSIONS_PER_PAGE)
    offset = decode_token("model-versions", page_token)
    with db.read() as tx:
        found = rows.search_versions(tx, name, run_id, limit + 1, offset, order, visible)
    token = encode_token("model-versions", offset + limit) if len(found) > limit else None
    return PagedList(found[:limit], token)


def model_versions_of_runs(db: Database, run_ids: Sequence[str]) -> dict[str, list[ModelVersion]]:
    """The versions registered from each of these runs, by model name then number; a run with
    none is absent. One read, however many runs."""
    found: dict[str, list[ModelVersion]] = {}
    with db.read() as tx:
        for version in rows.versions_of_runs(tx, run_ids):
            if version.run_id is not None:
                found.setdefault(version.run_id, []).append(version)
    return found


def update_model_version(db: Database, name: str, version: int | str, description: str | None,
                         actor: Actor) -> ModelVersion:
    number = parse_version(version)
    note = validate_text("description", description)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        require_version(tx, model, number)
        rows.update_version(tx, model.key, number, description=note, last_updated_time=clock.now_ms())
        return require_version(tx, model, number)


def delete_model_version(db: Database, name: str, version: int | str, actor: Actor, reason: str | None = None) -> None:
    """Delete a version (its number is never reused). Its aliases are removed and a pending
    sign-off request for it is cancelled, each recorded in the audit trail."""
    number = parse_version(version)
    note = validate_text("reason", reason)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        current = require_version(tx, model, number)
        now = clock.now_ms()
        for alias in rows.aliases_of(tx, model.key, number):
            rows.delete_alias(tx, model.key, alias)
            audit.record(tx, model, actions.ALIAS_DELETED, actor, now, version=number, alias=alias,
                         from_value=str(number), reason=f"version {number} deleted")
        pending = request_rows.pending_request(tx, model.key, number)
        if pending is not None:
            request_rows.decide(tx, pending.request_id, CANCELLED, actor, now, f"version {number} deleted")
        rows.delete_version(tx, model.key, number)
        model_rows.update_model(tx, model.key, last_updated_time=now)  # as MLflow: the model changed
        audit.record(tx, model, actions.VERSION_DELETED, actor, now, version=number,
                     from_value=current.current_stage, reason=note)


def set_model_version_tag(db: Database, name: str, version: int | str, key: str, value: str, actor: Actor) -> None:
    number = parse_version(version)
    validate_tag(key, value)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        require_version(tx, model, number)
        rows.set_tags(tx, model.key, number, {key: value})
        webhooks.enqueue(tx, actions.TAG_SET_EVENT, _tag_event(model, number, key, value, actor), clock.now_ms())


def delete_model_version_tag(db: Database, name: str, version: int | str, key: str, actor: Actor) -> None:
    number = parse_version(version)
    validate_key("tag", key)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        require_version(tx, model, number)
        if rows.delete_tag(tx, model.key, number, key) == 0:
            raise NotFound(f"No tag with name: {key} on version {number} of '{name}'; there is nothing to delete.")
        webhooks.enqueue(tx, actions.TAG_DELETED_EVENT, _tag_event(model, number, key, None, actor), clock.now_ms())


def get_model_version_download_uri(db: Database, name: str, version: int | str) -> str:
    """Where a client downloads the version's files from, as MLflow answers: the source itself
    (``runs:/...``, ``mlflow-artifacts:/...``, ``s3://...``), except for a ``models:/`` source,
    which answers the logged model's artifact location or the named version's own download URI."""
    found = get_model_version(db, name, version)
    return found.storage_location or found.source


def _checked(name: str, run_id: str | None, description: str | None, tags: Mapping[str, str] | None,
             run_link: str | None) -> tuple[str | None, str | None, dict[str, str], str | None]:
    validate_model_name(name)
    if run_id is not None and run_id != "":
        parse_run_id(run_id)
    tag_map = dict(validate_tag(k, v) for k, v in (tags or {}).items())
    return (run_id or None, validate_text("description", description), tag_map,
            validate_text("run_link", run_link, limit=MAX_RUN_LINK_LENGTH))


def _insert(tx: Tx, model: ModelRef, source: str, actor: Actor, run_id: str | None, description: str | None,
            tags: dict[str, str], run_link: str | None, model_id: str | None) -> ModelVersion:
    validate_actor_name(actor.name)
    found: ResolvedSource = resolve_source(tx, source, run_id, model_id)
    now = clock.now_ms()
    number = model_rows.next_version(tx, model.key)
    rows.insert_version(tx, model.key, ModelVersion(
        name=model.name, version=number, creation_timestamp=now, last_updated_timestamp=now,
        current_stage=ModelStage.NONE.value, description=description or "", source=found.source,
        run_id=found.run_id, run_link=run_link, status=ModelVersionStatus.READY.value, user_id=actor.name,
        model_id=found.model_id, tags=tags, storage_location=found.storage_location,
        files_location=found.files_location,
    ))
    model_rows.update_model(tx, model.key, last_updated_time=now)
    if found.model_id is not None:
        _list_on_logged_model(tx, found.model_id, model.name, number)
    audit.record(tx, model, actions.VERSION_CREATED, actor, now, version=number, to_value=ModelStage.NONE.value,
                 details={"source": found.source, "run_id": found.run_id})
    return require_version(tx, model, number)


def _list_on_logged_model(tx: Tx, model_id: str, name: str, number: int) -> None:
    # MLflow's value: a JSON list of {"name", "version"} (json.dumps' default spacing), each once.
    tags = logged_model_rows.load_details(tx, [model_id])[0][model_id]
    try:
        listed = json.loads(tags.get(MODEL_VERSIONS_TAG, "[]"))
    except ValueError:
        listed = []
    if not isinstance(listed, list):
        listed = []  # a hand-set value that is not MLflow's list: start the list again
    entry = {"name": name, "version": number}
    if entry not in listed:
        listed.append(entry)
    logged_model_rows.upsert_tags(tx, model_id, {MODEL_VERSIONS_TAG: json.dumps(listed)})


def _tag_event(model: ModelRef, version: int, key: str, value: str | None, actor: Actor) -> dict[str, object]:
    return {"model_name": model.name, "version": version, "key": key, "value": value, "actor": actor.name}
