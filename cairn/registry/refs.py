"""Naming a version the way people do: ``churn@champion``, ``churn/3``, ``churn/Production``,
``churn/latest`` or just ``churn`` (its Production version, else its newest), with or without
the ``models:/`` prefix MLflow uses; and ``require_version``, the lookup every rule starts with.
"""

from __future__ import annotations

from collections.abc import Callable

from cairn.entities import ModelStage, ModelVersion
from cairn.errors import InvalidParameter, NotFound
from cairn.store import registry_models as model_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx

from .models import require_model
from .validation import parse_stage, validate_alias, validate_model_name

MODELS_SCHEME = "models:/"


def split_model_ref(ref: object) -> tuple[str, str | None, str]:
    """(model name, alias or None, selector after the slash or "") of a reference;
    ``InvalidParameter`` when it is not a string naming something."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidParameter("Name a model version: NAME, NAME@alias, NAME/version or NAME/stage.")
    text = ref.strip()
    if text.startswith(MODELS_SCHEME):
        text = text[len(MODELS_SCHEME):]
    if "/" not in text and "@" in text:
        name, alias = text.rsplit("@", 1)
        return name, alias, ""
    name, _, selector = text.partition("/")
    return name, None, selector


def resolve_model_ref(db: Database, ref: str) -> ModelVersion:
    """The version ``ref`` names; ``NotFound`` when it names nothing, ``InvalidParameter`` when
    it cannot be read."""
    with db.read() as tx:
        return find_version(tx, ref)


def find_version(tx: Tx, ref: str) -> ModelVersion:
    """``resolve_model_ref`` inside an open transaction."""
    name, alias, selector = split_model_ref(ref)
    validate_model_name(name)
    if alias is not None:
        validate_alias(alias)
        return version_by_alias(tx, require_model(tx, name), alias)
    model = require_model(tx, name)
    if selector.isdigit():
        return require_version(tx, model, int(selector))
    if not selector:
        production = rows.versions_in_stage(tx, model.key, ModelStage.PRODUCTION.value)
        if production:
            return require_version(tx, model, production[-1])
        selector = "latest"
    if selector.lower() == "latest":
        latest = model_rows.load_model(tx, model).latest_versions
        if not latest:
            raise NotFound(f"Model '{name}' has no versions yet.")
        return require_version(tx, model, max(v.version for v in latest))
    stage = parse_stage(selector).value
    in_stage = rows.versions_in_stage(tx, model.key, stage)
    if not in_stage:
        raise NotFound(f"Model '{name}' has no version in stage {stage}.")
    return require_version(tx, model, in_stage[-1])


def version_by_alias(tx: Tx, model: ModelRef, alias: str) -> ModelVersion:
    number = rows.get_alias(tx, model.key, alias)
    if number is None:
        raise NotFound(f"Registered model alias {alias} not found on model '{model.name}'.")
    return require_version(tx, model, number)


def require_version(tx: Tx, model: ModelRef, number: int) -> ModelVersion:
    found = rows.get_version(tx, model.key, model.name, number)
    if found is None:
        raise NotFound(f"Model Version (name={model.name}, version={number}) not found. "
                       f"List versions with `cairn models versions {model.name}`.")
    return found


def model_run_id(ref: str, resolve: Callable[[str], ModelVersion]) -> str | None:
    """The source run of the version a ``models:/`` reference names (looked up with ``resolve``:
    ``resolve_model_ref`` on a store, or ``Client.resolve_model_version``); None when ``ref`` is
    not a ``models:/`` reference. ``NotFound`` when the version was not registered from a run."""
    if not ref.startswith(MODELS_SCHEME):
        return None
    version = resolve(ref)
    if not version.run_id:
        raise NotFound(f"Model version {version.name}/{version.version} was not registered from a run.")
    return str(version.run_id)
