"""Deployments: which versions of a registered model answer its traffic, and how it is split.

A deployment has a **primary** (the Production version, or the version an alias points at) and
optionally a **canary** (a version answering X% of requests), a **shadow** (a version sent a copy
of every request, its output logged and never returned) and an **A/B test** (a version answering
the requests whose key, e.g. a user id, hashes into its share, so a user always meets the same
arm). Canary and A/B both split the primary's traffic, so a deployment has one or the other.

The configuration lives in the registry and every change is an audit event, like a stage
change. Serving processes poll ``resolve_plan``: the primary is resolved at that moment, so a
promotion or rollback reaches them without a configuration change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from cairn.entities import Actor, ModelStage
from cairn.errors import InvalidParameter, NotFound
from cairn.store import deployments as rows
from cairn.store import registry_versions as version_rows
from cairn.store.database import Database
from cairn.tracking import clock

from . import actions, audit
from .arms import AB, ARM_A, ARM_B, CANARY, PRIMARY, SHADOW
from .models import require_model
from .refs import require_version, resolve_model_ref
from .standby import standby_versions, sweep_quietly
from .validation import (
    parse_version,
    validate_alias,
    validate_model_name,
    validate_text,
)

REMOVABLE = (CANARY, SHADOW, AB, "primary_alias")
MAX_KEY_LENGTH = 250
_KEY = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class DeploymentConfig:
    """A model's traffic configuration as stored; ``revision`` 0 means never configured."""

    model_name: str
    primary_alias: str | None = None
    canary_version: int | None = None
    canary_percent: float | None = None
    shadow_version: int | None = None
    ab_version: int | None = None
    ab_split: float | None = None
    ab_key: str | None = None
    revision: int = 0
    updated_time: int | None = None
    updated_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeploymentConfig:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})  # type: ignore[arg-type]

    def summary(self) -> str:
        parts = [f"primary @{self.primary_alias}" if self.primary_alias else "primary Production"]
        if self.canary_version is not None:
            parts.append(f"canary v{self.canary_version} {_pct(self.canary_percent)}")
        if self.ab_version is not None:
            parts.append(f"A/B v{self.ab_version} {_pct(self.ab_split)} by {self.ab_key}")
        if self.shadow_version is not None:
            parts.append(f"shadow v{self.shadow_version}")
        return ", ".join(parts)

    def _settings(self) -> dict[str, Any]:
        data = self.to_dict()
        for key in ("model_name", "revision", "updated_time", "updated_by"):
            data.pop(key)
        return data


@dataclass(frozen=True)
class DeploymentPlan:
    """What a serving process should run now: resolved version numbers per arm.

    ``canary_share`` and ``ab_share`` are fractions of traffic (0..1). An arm naming the primary
    version is left out (it would only duplicate the primary).
    """

    model_name: str
    primary_version: int
    primary_ref: str
    canary_version: int | None = None
    canary_share: float = 0.0
    shadow_version: int | None = None
    ab_version: int | None = None
    ab_share: float = 0.0
    ab_key: str | None = None
    revision: int = 0
    # Replaced Production versions inside their stability window: kept loaded for a rollback, not served.
    standby_versions: tuple[int, ...] = ()

    def arm_shares(self) -> dict[str, tuple[int, float]]:
        """Each arm's name, version and share of the requests it answers (a shadow answers
        none; it gets copies). The primary is arm ``a`` while an A/B test runs."""
        taken = self.canary_share if self.canary_version else self.ab_share if self.ab_version else 0.0
        arms = {ARM_A if self.ab_version else PRIMARY: (self.primary_version, round(1.0 - taken, 6))}
        if self.canary_version:
            arms[CANARY] = (self.canary_version, self.canary_share)
        if self.ab_version:
            arms[ARM_B] = (self.ab_version, self.ab_share)
        if self.shadow_version:
            arms[SHADOW] = (self.shadow_version, 0.0)
        return arms

    def versions(self) -> set[int]:
        found = {self.primary_version, self.canary_version, self.shadow_version, self.ab_version}
        return {v for v in found if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeploymentPlan:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["standby_versions"] = tuple(values.get("standby_versions") or ())
        return cls(**values)


def get_deployment(db: Database, name: str) -> DeploymentConfig:
    """The model's traffic configuration (an empty one, revision 0, if never set)."""
    validate_model_name(name)
    with db.read() as tx:
        model = require_model(tx, name)
        return _load(tx, model.key, model.name)


def set_deployment(
    db: Database,
    name: str,
    actor: Actor,
    *,
    canary_version: int | str | None = None,
    canary_percent: float | None = None,
    shadow_version: int | str | None = None,
    ab_version: int | str | None = None,
    ab_split: float | None = None,
    ab_key: str | None = None,
    primary_alias: str | None = None,
    remove: Sequence[str] = (),
    clear: bool = False,
    reason: str | None = None,
) -> DeploymentConfig:
    """Change the model's traffic: ``clear`` first drops everything, ``remove`` drops named
    parts (``canary``, ``shadow``, ``ab``, ``primary_alias``), then the given settings apply on
    top of what stays. Audited as one ``deployment_set`` event; a change that changes nothing
    records nothing.

    ``InvalidParameter`` for a bad share, key or arm name, or for a canary and an A/B test at
    once; ``NotFound`` for a missing model, version or alias.
    """
    validate_model_name(name)
    note = validate_text("reason", reason)
    unknown = [part for part in remove if part not in REMOVABLE]
    if unknown:
        raise InvalidParameter(f"Cannot remove {unknown[0]!r}; name one of: {', '.join(REMOVABLE)}.")
    canary = parse_version(canary_version) if canary_version is not None else None
    shadow = parse_version(shadow_version) if shadow_version is not None else None
    challenger = parse_version(ab_version) if ab_version is not None else None
    if primary_alias is not None:
        validate_alias(primary_alias)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        before = _load(tx, model.key, model.name)
        after = DeploymentConfig(model.name) if clear else before
        after = _without(after, remove)
        if canary is not None or canary_percent is not None:
            after = replace(after, canary_version=canary if canary is not None else after.canary_version,
                            canary_percent=_share("canary percent", canary_percent if canary_percent is not None
                                                  else after.canary_percent, CANARY))
            if after.canary_version is None:
                raise InvalidParameter("A canary needs a version: --canary VERSION --percent 10.")
        if shadow is not None:
            after = replace(after, shadow_version=shadow)
        if challenger is not None or ab_split is not None or ab_key is not None:
            key = ab_key if ab_key is not None else after.ab_key
            after = replace(after, ab_version=challenger if challenger is not None else after.ab_version,
                            ab_split=_share("A/B split", ab_split if ab_split is not None
                                            else (after.ab_split or 50.0), AB),
                            ab_key=_request_key(key))
            if after.ab_version is None:
                raise InvalidParameter("An A/B test needs a version: --ab VERSION --split 50 --key user_id.")
        if primary_alias is not None:
            after = replace(after, primary_alias=primary_alias)
        if after.canary_version is not None and after.ab_version is not None:
            raise InvalidParameter(
                "A deployment splits its traffic one way: a canary or an A/B test, not both. "
                "Remove one first (cairn deployments set NAME --remove canary, or --remove ab)."
            )
        for number in (after.canary_version, after.shadow_version, after.ab_version):
            if number is not None:
                require_version(tx, model, number)
        if after.primary_alias is not None and version_rows.get_alias(tx, model.key, after.primary_alias) is None:
            raise NotFound(f"Model '{model.name}' has no alias '{after.primary_alias}'; set it first "
                           f"(cairn models alias {model.name} {after.primary_alias} VERSION).")
        if after._settings() == before._settings():
            return before
        now = clock.now_ms()
        revision = rows.put_deployment(tx, model.key, orjson.dumps(after._settings()).decode(), now, actor.name)
        audit.record(tx, model, actions.DEPLOYMENT_SET, actor, now, from_value=_clip(before.summary()),
                     to_value=_clip(after.summary()), reason=note,
                     details={"before": before._settings(), "after": after._settings()})
        return replace(after, revision=revision, updated_time=now, updated_by=actor.name)


def resolve_plan(db: Database, name: str, ref: str | None = None) -> DeploymentPlan:
    """The versions to serve now. ``ref`` pins the primary (``NAME/3``, ``NAME@alias``,
    ``NAME/Staging``); otherwise the configured primary alias, else the Production version.

    ``NotFound`` when the primary names nothing (no Production version, a deleted alias).
    """
    sweep_quietly(db, name)
    config = get_deployment(db, name)
    if ref is None:
        ref = f"{name}@{config.primary_alias}" if config.primary_alias else f"{name}/{ModelStage.PRODUCTION.value}"
    primary = resolve_model_ref(db, ref)
    if primary.name != name:
        raise InvalidParameter(f"'{ref}' names a version of '{primary.name}', not of '{name}'.")

    def other(number: int | None) -> int | None:
        return number if number is not None and number != primary.version else None

    canary, challenger = other(config.canary_version), other(config.ab_version)
    return DeploymentPlan(
        model_name=name, primary_version=primary.version, primary_ref=ref,
        canary_version=canary, canary_share=(config.canary_percent or 0.0) / 100 if canary else 0.0,
        shadow_version=other(config.shadow_version),
        ab_version=challenger, ab_share=(config.ab_split or 0.0) / 100 if challenger else 0.0,
        ab_key=config.ab_key if challenger else None, revision=config.revision,
        standby_versions=tuple(v for v in _standby(db, name) if v != primary.version),
    )


def load_config(tx: rows.Tx, model: Any) -> DeploymentConfig:
    """The model's traffic configuration as the caller's transaction sees it."""
    return _load(tx, model.key, model.name)


def _standby(db: Database, name: str) -> list[int]:
    with db.read() as tx:
        model = require_model(tx, name)
        return standby_versions(tx, model)


def _load(tx: rows.Tx, key: int, name: str) -> DeploymentConfig:
    row = rows.get_deployment(tx, key)
    if row is None:
        return DeploymentConfig(name)
    settings = orjson.loads(row.config)
    return DeploymentConfig(name, **settings, revision=row.revision, updated_time=row.updated_time,
                            updated_by=row.updated_by)


def _without(config: DeploymentConfig, parts: Sequence[str]) -> DeploymentConfig:
    cleared: dict[str, Any] = {}
    if CANARY in parts:
        cleared.update(canary_version=None, canary_percent=None)
    if SHADOW in parts:
        cleared.update(shadow_version=None)
    if AB in parts:
        cleared.update(ab_version=None, ab_split=None, ab_key=None)
    if "primary_alias" in parts:
        cleared.update(primary_alias=None)
    return replace(config, **cleared)


def _share(label: str, value: object, arm: str) -> float:
    if value is None:
        flag = "--percent" if arm == CANARY else "--split"
        raise InvalidParameter(f"Give the {label} ({flag}), a number above 0 and below 100.")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameter(f"The {label} must be a number above 0 and below 100, got {value!r}.")
    if not 0 < value < 100:
        raise InvalidParameter(f"The {label} must be above 0 and below 100, got {value}; "
                               "to send everything to a version, promote it instead.")
    return float(value)


def _request_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidParameter("An A/B test needs the request key to split on (--key user_id): a column of the "
                               "request rows, or the X-Cairn-Request-Key header.")
    if len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise InvalidParameter(f"The A/B key {key[:50]!r} must be a column name of letters, digits, '_', '.' "
                               f"or '-', at most {MAX_KEY_LENGTH} characters.")
    return key


def _pct(value: float | None) -> str:
    return f"{value:g}%" if value is not None else "?%"


def _clip(text: str) -> str:
    return text if len(text) <= 256 else text[:255] + "…"
