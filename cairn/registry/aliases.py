"""Aliases (``@champion``): named pointers at one version each, moved atomically and audited."""

from __future__ import annotations

from cairn.entities import Actor, ModelVersion
from cairn.errors import NotFound
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.tracking import clock

from . import actions, audit
from .models import require_model
from .refs import require_version, version_by_alias
from .validation import parse_version, validate_alias, validate_model_name, validate_text


def set_alias(db: Database, name: str, alias: str, version: int | str, actor: Actor,
              reason: str | None = None) -> ModelVersion:
    """Point ``alias`` at ``version`` (moving it if it pointed elsewhere) and return that version.

    ``NotFound`` for a missing model or version; pointing an alias where it already points
    changes nothing and records nothing.
    """
    validate_model_name(name)
    validate_alias(alias)
    number = parse_version(version)
    note = validate_text("reason", reason)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        require_version(tx, model, number)
        previous = rows.get_alias(tx, model.key, alias)
        if previous != number:
            rows.set_alias(tx, model.key, alias, number)
            audit.record(tx, model, actions.ALIAS_SET, actor, clock.now_ms(), version=number, alias=alias,
                         from_value=str(previous) if previous is not None else None, to_value=str(number),
                         reason=note)
        return require_version(tx, model, number)


def delete_alias(db: Database, name: str, alias: str, actor: Actor, reason: str | None = None, *,
                 missing_ok: bool = False) -> None:
    """Remove ``alias`` from the model, audited.

    ``NotFound`` for a missing model, and for an alias that is not set unless ``missing_ok``
    (MLflow's REST API deletes an unset alias without complaint; its clients rely on that). An
    unset alias deleted with ``missing_ok`` changes nothing and records nothing.
    """
    validate_model_name(name)
    validate_alias(alias)
    note = validate_text("reason", reason)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        previous = rows.get_alias(tx, model.key, alias)
        if previous is None:
            if missing_ok:
                return
            raise NotFound(f"Registered model alias {alias} not found on model '{name}'.")
        rows.delete_alias(tx, model.key, alias)
        audit.record(tx, model, actions.ALIAS_DELETED, actor, clock.now_ms(), version=previous, alias=alias,
                     from_value=str(previous), reason=note)


def get_version_by_alias(db: Database, name: str, alias: str) -> ModelVersion:
    validate_model_name(name)
    validate_alias(alias)
    with db.read() as tx:
        return version_by_alias(tx, require_model(tx, name), alias)
