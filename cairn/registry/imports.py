"""Copying a registered model in from another tracker (MLflow): the model, its versions with
their numbers, stages, tags and descriptions, and its aliases, in one transaction.

Rules, in the order they apply:

* The model is matched by name. A new one keeps its description, tags and times; one already
  there gains the tags it lacks (and the description, if it has none).
* A version keeps its number, times, creator, description, tags and stage. A number already
  taken by a version from the same run is *already there*; by another run, it *fails* (the
  name belongs to a different model in Cairn); one deleted in Cairn since is not brought back. Numbers never go backwards: the model's counter
  moves to the source's highest number, deleted versions included.
* The source is kept as MLflow stored it and resolved as any registration (``registry.sources``),
  so a ``models:/<logged_model_id>`` source needs that logged model imported first.
* Cairn keeps at most one Production version per model (MLflow does not): of several Production
  versions in the source, the highest number stays in Production and the others come in Archived,
  each outcome saying so. Archived versions keep their files for the policy's retention period
  from the import on, as after any archiving.
* An alias not set in Cairn is set; one already set is left where it points.
* The present state becomes the first events of the model's audit trail: model created, version
  created, its stage reached, alias set, each at the import's time, by the importing actor, with
  ``details["imported_from"]`` naming the source and the source's own time where it has one.
  They queue no webhooks: nothing happened, the history only moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.entities import Actor, ModelStage, ModelVersion, ModelVersionStatus
from cairn.errors import CairnError
from cairn.store import registry_audit as trail
from cairn.store import registry_models as model_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock
from cairn.tracking.imports import check_source
from cairn.tracking.validation import validate_int64

from . import actions
from .policies import effective_policy
from .sources import resolve_source
from .transitions import DAY_MS
from .validation import (
    parse_stage,
    parse_version,
    validate_alias,
    validate_new_model_name,
    validate_tag,
    validate_text,
)

COPIED, PRESENT, FAILED = "copied", "present", "failed"
IMPORT_REASON = "imported"
# MLflow marks deleted versions with this stage and keeps their rows.
DELETED_STAGE = "Deleted_Internal"


@dataclass(frozen=True, slots=True)
class ImportedVersion:
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = ModelStage.NONE.value
    description: str = ""
    source: str = ""
    run_id: str | None = None
    run_link: str | None = None
    status: str = "READY"
    status_message: str | None = None
    user_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportedModel:
    """A registered model as the source has it. ``last_version`` is the highest number the source
    ever gave (deleted versions included; 0 if unknown)."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)
    versions: Sequence[ImportedVersion] = ()
    last_version: int = 0


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What the import did with one thing: ``kind`` (registered_model, model_version, alias),
    ``key`` (``NAME``, ``NAME/3``, ``NAME@champion``) and ``status`` (copied, present, failed),
    with a ``note`` saying why it failed or what was adjusted."""

    kind: str
    key: str
    status: str
    note: str | None = None


def import_registered_model(db: Database, model: ImportedModel, actor: Actor, source: str) -> list[ItemOutcome]:
    """Copy one model in (see the module docstring). ``InvalidParameter`` for a bad model name or
    fields; a version or alias that cannot be copied is a failed outcome, not an error."""
    validate_new_model_name(model.name)
    check_source(source)
    note = validate_text("description", model.description or None)
    tags = dict(validate_tag(k, v) for k, v in model.tags.items())
    validate_int64("creation_timestamp", model.creation_timestamp)
    validate_int64("last_updated_timestamp", model.last_updated_timestamp)
    outcomes: list[ItemOutcome] = []
    with db.write() as tx:
        now = clock.now_ms()
        origin = {"imported_from": source}
        ref = model_rows.lock_model(tx, model.name)
        if ref is None:
            ref = model_rows.insert_model(tx, model.name, note, model.creation_timestamp)
            model_rows.update_model(tx, ref.key, last_updated_time=model.last_updated_timestamp)
            model_rows.set_tags(tx, ref.key, tags)
            _record(tx, ref, actions.MODEL_CREATED, actor, now, {**origin, "source_time": model.creation_timestamp})
            outcomes.append(ItemOutcome("registered_model", model.name, COPIED))
        else:
            current = model_rows.load_model(tx, ref)
            model_rows.set_tags(tx, ref.key, {k: v for k, v in tags.items() if k not in current.tags})
            if note and not current.description:
                model_rows.update_model(tx, ref.key, description=note)
            outcomes.append(ItemOutcome("registered_model", model.name, PRESENT))
        retention_ms = effective_policy(tx, ref)[0].retention_days * DAY_MS
        in_production = rows.versions_in_stage(tx, ref.key, ModelStage.PRODUCTION.value)
        live = [v for v in model.versions if v.current_stage != DELETED_STAGE]
        wanted_production = max((v.version for v in live if v.current_stage == ModelStage.PRODUCTION.value),
                                 default=None)
        for version in sorted(live, key=lambda v: v.version):
            outcomes.append(_import_version(tx, ref, version, actor, now, origin, retention_ms, in_production,
                                            wanted_production))
        for alias, number in sorted(model.aliases.items()):
            outcomes.append(_import_alias(tx, ref, alias, number, actor, now, origin))
        highest = max([model.last_version, *(v.version for v in model.versions)], default=0)
        model_rows.raise_version_counter(tx, ref.key, highest)
    return outcomes


def _import_version(tx: Tx, ref: ModelRef, version: ImportedVersion, actor: Actor, now: int,
                    origin: dict[str, Any], retention_ms: int, in_production: list[int],
                    wanted_production: int | None) -> ItemOutcome:
    key = f"{ref.name}/{version.version}"
    try:
        number = parse_version(version.version)
        stage = parse_stage(version.current_stage)
        existing = rows.get_version(tx, ref.key, ref.name, number)
        if existing is not None:
            if existing.run_id != (version.run_id or None):
                return ItemOutcome("model_version", key, FAILED, f"version {number} of '{ref.name}' in Cairn comes "
                                   f"from run {existing.run_id or '(none)'}, not {version.run_id or '(none)'}: "
                                   "the name belongs to another model here")
            return ItemOutcome("model_version", key, PRESENT)
        if trail.list_events(tx, ref.key, version=number, actions=[actions.VERSION_DELETED], limit=1):
            return ItemOutcome("model_version", key, PRESENT, f"version {number} was deleted in Cairn; not copied "
                               "again")
        adjusted = None
        if stage is ModelStage.PRODUCTION and (version.version != wanted_production or in_production):
            stage = ModelStage.ARCHIVED
            adjusted = "Production in MLflow; archived here, where one version per model is in Production"
        resolved = resolve_source(tx, version.source, version.run_id or None)
        tags = dict(validate_tag(k, v) for k, v in version.tags.items())
        for name, value in (("creation_timestamp", version.creation_timestamp),
                            ("last_updated_timestamp", version.last_updated_timestamp)):
            validate_int64(name, value)
        status = ModelVersionStatus(version.status).value if version.status else ModelVersionStatus.READY.value
        row = ModelVersion(
            name=ref.name, version=number, creation_timestamp=version.creation_timestamp,
            last_updated_timestamp=version.last_updated_timestamp, current_stage=stage.value,
            description=validate_text("description", version.description or None) or "",
            source=resolved.source, run_id=resolved.run_id, run_link=validate_text("run_link", version.run_link),
            status=status, status_message=validate_text("status_message", version.status_message),
            user_id=version.user_id or "", model_id=resolved.model_id, tags=tags,
            storage_location=resolved.storage_location, files_location=resolved.files_location,
            artifacts_retained_until=now + retention_ms if stage is ModelStage.ARCHIVED else None,
        )
    except ValueError:
        return ItemOutcome("model_version", key, FAILED, f"unknown version status {version.status!r}")
    except CairnError as exc:
        return ItemOutcome("model_version", key, FAILED, exc.message)
    rows.insert_version(tx, ref.key, row)
    if stage is ModelStage.PRODUCTION:
        in_production.append(number)
    _record(tx, ref, actions.VERSION_CREATED, actor, now, {**origin, "source_time": version.creation_timestamp},
            version=number, to_value=ModelStage.NONE.value)
    if stage is not ModelStage.NONE:
        details = {**origin, "source_time": version.last_updated_timestamp}
        if adjusted:
            details["source_stage"] = version.current_stage
        _record(tx, ref, actions.PROMOTE, actor, now, details, version=number, from_value=ModelStage.NONE.value,
                to_value=stage.value)
    return ItemOutcome("model_version", key, COPIED, adjusted)


def _import_alias(tx: Tx, ref: ModelRef, alias: str, number: int, actor: Actor, now: int,
                  origin: dict[str, Any]) -> ItemOutcome:
    key = f"{ref.name}@{alias}"
    try:
        validate_alias(alias)
        number = parse_version(number)
        current = rows.get_alias(tx, ref.key, alias)
        if current is not None:
            note = None if current == number else f"points at version {current} here, {number} in MLflow; left as is"
            return ItemOutcome("alias", key, PRESENT, note)
        if rows.get_version(tx, ref.key, ref.name, number) is None:
            return ItemOutcome("alias", key, FAILED, f"version {number} of '{ref.name}' was not copied")
    except CairnError as exc:
        return ItemOutcome("alias", key, FAILED, exc.message)
    rows.set_alias(tx, ref.key, alias, number)
    _record(tx, ref, actions.ALIAS_SET, actor, now, origin, version=number, alias=alias, to_value=str(number))
    return ItemOutcome("alias", key, COPIED)


def _record(tx: Tx, ref: ModelRef, action: str, actor: Actor, now: int, details: dict[str, Any], *,
            version: int | None = None, from_value: str | None = None, to_value: str | None = None,
            alias: str | None = None) -> None:
    # Straight into the trail, not through audit.record: importing queues no webhook deliveries.
    trail.insert_event(tx, ref.key, ref.name, action=action, actor=actor, timestamp=now, version=version,
                       from_value=from_value, to_value=to_value, alias=alias, reason=IMPORT_REASON, details=details)
