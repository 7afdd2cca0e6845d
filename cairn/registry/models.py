"""Registered models: create, read, search, rename, describe, tag, delete."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from cairn.entities import Actor, PagedList, RegisteredModel
from cairn.errors import AlreadyExists, NotFound
from cairn.store import registry_models as rows
from cairn.store import registry_versions as version_rows
from cairn.store.database import Database
from cairn.store.page_tokens import decode_token, encode_token
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock
from cairn.tracking.validation import validate_key, validate_max_results

from . import actions, audit
from .validation import validate_model_name, validate_new_model_name, validate_tag, validate_text

MAX_MODELS_PER_PAGE = 1000


def create_registered_model(
    db: Database, name: str, actor: Actor, description: str | None = None, tags: Mapping[str, str] | None = None
) -> RegisteredModel:
    """Create an empty model; ``AlreadyExists`` if the name is taken."""
    validate_new_model_name(name)
    note = validate_text("description", description)
    tag_map = dict(validate_tag(k, v) for k, v in (tags or {}).items())
    with db.write() as tx:
        now = clock.now_ms()
        model = None if rows.find_model(tx, name) is not None else rows.insert_model(tx, name, note, now)
        if model is None:  # stored already, or by a concurrent create a moment ago
            raise AlreadyExists(f"Registered Model (name={name}) already exists.")
        rows.set_tags(tx, model.key, tag_map)
        audit.record(tx, model, actions.MODEL_CREATED, actor, now)
        return rows.load_model(tx, model)


def get_registered_model(db: Database, name: str) -> RegisteredModel:
    with db.read() as tx:
        return rows.load_model(tx, require_model(tx, validate_model_name(name)))


def search_registered_models(
    db: Database, name_like: str | None = None, max_results: int = 100, page_token: str | None = None,
    visible: Collection[str] | None = None,
) -> PagedList:
    """Models by name; ``name_like`` is a LIKE pattern (``%`` matches any run of characters);
    ``visible`` (model keys; None: all) is what the caller may read, filtered in the query."""
    limit = validate_max_results(max_results, MAX_MODELS_PER_PAGE)
    offset = decode_token("registered-models", page_token)
    with db.read() as tx:
        found = rows.search_models(tx, name_like, limit + 1, offset, visible)
    token = encode_token("registered-models", offset + limit) if len(found) > limit else None
    return PagedList(found[:limit], token)


def rename_registered_model(db: Database, name: str, new_name: str, actor: Actor) -> RegisteredModel:
    """Rename a model; its versions, aliases and audit trail follow it."""
    validate_model_name(name)
    validate_new_model_name(new_name, "new_name")
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        now = clock.now_ms()
        taken = new_name != name and rows.find_model(tx, new_name) is not None
        if taken or not rows.rename_model(tx, model.key, new_name, now):
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists.")
        renamed = model._replace(name=new_name)
        audit.record(tx, renamed, actions.MODEL_RENAMED, actor, now, from_value=name, to_value=new_name)
        return rows.load_model(tx, renamed)


def update_registered_model(db: Database, name: str, description: str | None, actor: Actor) -> RegisteredModel:
    validate_model_name(name)
    note = validate_text("description", description)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        rows.update_model(tx, model.key, description=note, last_updated_time=clock.now_ms())
        return rows.load_model(tx, model)


def delete_registered_model(db: Database, name: str, actor: Actor, reason: str | None = None) -> None:
    """Delete a model with its versions and aliases. Its audit trail stays, readable by name."""
    validate_model_name(name)
    note = validate_text("reason", reason)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        versions = version_rows.list_versions(tx, model.key, name)
        stages = {str(v.version): v.current_stage for v in versions}
        rows.delete_model(tx, model.key)
        audit.record(tx, model, actions.MODEL_DELETED, actor, clock.now_ms(), reason=note,
                     details={"versions": stages})


def set_registered_model_tag(db: Database, name: str, key: str, value: str, actor: Actor) -> None:
    validate_model_name(name)
    validate_tag(key, value)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        rows.set_tags(tx, model.key, {key: value})
        rows.update_model(tx, model.key, last_updated_time=clock.now_ms())


def delete_registered_model_tag(db: Database, name: str, key: str, actor: Actor) -> None:
    validate_model_name(name)
    validate_key("tag", key)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        if rows.delete_tag(tx, model.key, key) == 0:
            raise NotFound(f"No tag with name: {key} on registered model '{name}'; there is nothing to delete.")


def require_model(tx: Tx, name: str, lock: bool = False) -> ModelRef:
    """The model's row (locked for the transaction with ``lock``); ``NotFound`` if missing."""
    found = rows.lock_model(tx, name) if lock else rows.find_model(tx, name)
    if found is None:
        raise NotFound(f"Registered Model with name={name} not found. List models with `cairn models list`.")
    return found
