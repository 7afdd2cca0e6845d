"""Promotion policies: which checks a model's transitions must pass.

A model has its own policy, or falls back to the server-wide default policy, or to the built-in
``Policy()``, which allows every transition MLflow allows. Policies are stored as JSON (in the
model row, or in registry settings for the default) and every change of a model's policy is an
audit event.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import orjson

from cairn.entities import Actor, MetricRequirement, ModelStage, Policy
from cairn.errors import InvalidParameter
from cairn.store import registry_models as models_rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock
from cairn.tracking.validation import validate_key

from . import actions, audit
from .evidence_policy import check_evidence_fields, check_slice_requirement
from .models import require_model
from .validation import parse_stage, validate_model_name, validate_text

DEFAULT_POLICY_SETTING = "default_policy"
SCOPE_MODEL, SCOPE_DEFAULT, SCOPE_BUILTIN = "model", "server default", "built-in"
METRIC_OPS = (">=", "<=", "==", ">", "<")
MAX_RETENTION_DAYS = 3650
MAX_STABILITY_WINDOW_MS = 90 * 86_400_000  # archive_previous_after: at most 90 days
STABILITY_WINDOW_FIELD = "archive_previous_after"  # the policy's JSON also takes the window as a duration
_REQUIREMENT = re.compile(r"^\s*(\S+?)\s*(>=|<=|==|>|<)\s*(\S+)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_GATEABLE = (ModelStage.STAGING.value, ModelStage.PRODUCTION.value)


def parse_metric_requirement(text: str) -> MetricRequirement:
    """``"auc >= 0.8"`` as a requirement; ``InvalidParameter`` naming the accepted form otherwise."""
    match = _REQUIREMENT.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidParameter(
            f"Metric requirement {text!r} should look like 'auc >= 0.8' (ops: {', '.join(METRIC_OPS)})."
        )
    key, op, raw = match.groups()
    try:
        threshold = float(raw)
    except ValueError:
        raise InvalidParameter(f"Metric requirement {text!r}: threshold {raw!r} is not a number.") from None
    return _checked_requirement(MetricRequirement(key, op, threshold))


def parse_duration(text: str) -> int:
    """``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``, ``"500ms"`` (a bare number is seconds) in ms."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidParameter(f"Duration {text!r} should look like 90s, 30m, 2h or 1d.")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2) or "s"])


def validate_policy(policy: Policy) -> Policy:
    """The policy if every field is usable; ``InvalidParameter`` naming the first that is not."""
    if not isinstance(policy, Policy):
        raise InvalidParameter(f"A policy must be a cairn Policy, got {type(policy).__name__}.")
    for flag in ("allow_direct_to_production", "require_staging_first", "require_signature",
                 "require_input_example", "require_signoff", "signoff_excludes_creator"):
        if not isinstance(getattr(policy, flag), bool):
            raise InvalidParameter(f"Policy field {flag} must be true or false.")
    if not _is_int(policy.min_staging_ms) or policy.min_staging_ms < 0:
        raise InvalidParameter("Policy field min_staging_ms must be a non-negative integer (milliseconds).")
    window = policy.archive_previous_after_ms
    if not _is_int(window) or not 0 <= window <= MAX_STABILITY_WINDOW_MS:
        raise InvalidParameter("Policy field archive_previous_after must be a duration from 0 to 90d "
                               "(e.g. 2s, 30m, 48h).")
    if not _is_int(policy.retention_days) or not 0 <= policy.retention_days <= MAX_RETENTION_DAYS:
        raise InvalidParameter(f"Policy field retention_days must be an integer from 0 to {MAX_RETENTION_DAYS}.")
    stages = tuple(parse_stage(s).value for s in policy.gated_stages)
    if any(s not in _GATEABLE for s in stages):
        raise InvalidParameter(f"Policy gated_stages may only name {' and '.join(_GATEABLE)}.")
    requirements = tuple(_checked_requirement(r) for r in policy.required_metrics)
    return check_evidence_fields(dataclasses.replace(policy, gated_stages=stages, required_metrics=requirements))


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    data = dataclasses.asdict(policy)
    data["required_metrics"] = [{"key": r.key, "op": r.op, "threshold": r.threshold} for r in policy.required_metrics]
    data["gated_stages"] = list(policy.gated_stages)
    data["required_slices"] = [dataclasses.asdict(r) for r in policy.required_slices]
    return data


def policy_from_dict(data: object) -> Policy:
    """A policy from its JSON form; unknown fields are refused, missing ones take defaults."""
    if not isinstance(data, dict):
        raise InvalidParameter("A policy must be a JSON object.")
    known = {f.name for f in dataclasses.fields(Policy)} | {STABILITY_WINDOW_FIELD}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidParameter(f"Unknown policy field(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    values = dict(data)
    if STABILITY_WINDOW_FIELD in values:
        window = values.pop(STABILITY_WINDOW_FIELD)
        values["archive_previous_after_ms"] = (parse_duration(window) if isinstance(window, str)
                                               else _seconds_ms(window))
    if "required_metrics" in values:
        items = values["required_metrics"]
        if not isinstance(items, list):
            raise InvalidParameter("Policy required_metrics must be a list.")
        values["required_metrics"] = tuple(
            parse_metric_requirement(item) if isinstance(item, str) else _requirement_from_dict(item) for item in items
        )
    if "required_slices" in values:
        if not isinstance(values["required_slices"], list):
            raise InvalidParameter("Policy required_slices must be a list.")
        values["required_slices"] = tuple(check_slice_requirement(item) for item in values["required_slices"])
    if "gated_stages" in values:
        if not isinstance(values["gated_stages"], list):
            raise InvalidParameter("Policy gated_stages must be a list of stage names.")
        values["gated_stages"] = tuple(values["gated_stages"])
    return validate_policy(Policy(**values))


def get_policy(db: Database, name: str) -> Policy:
    """The policy that applies to the model's transitions (its own, else the default)."""
    with db.read() as tx:
        return effective_policy(tx, require_model(tx, validate_model_name(name)))[0]


def get_policy_scope(db: Database, name: str) -> str:
    """Where the applying policy comes from: 'model', 'server default' or 'built-in'."""
    with db.read() as tx:
        return effective_policy(tx, require_model(tx, validate_model_name(name)))[1]


def set_policy(db: Database, name: str, policy: Policy | None, actor: Actor, reason: str | None = None) -> Policy:
    """Give a model its own policy (None: fall back to the default again); audited."""
    checked = validate_policy(policy) if policy is not None else None
    note = validate_text("reason", reason)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        previous = effective_policy(tx, model)[0]
        stored = orjson.dumps(policy_to_dict(checked)).decode() if checked is not None else None
        models_rows.update_model(tx, model.key, policy=stored, last_updated_time=clock.now_ms())
        audit.record(tx, model, actions.POLICY_SET, actor, clock.now_ms(), reason=note, details={
            "policy": policy_to_dict(checked) if checked is not None else None,
            "previous": policy_to_dict(previous),
        })
        return effective_policy(tx, model._replace(policy=stored))[0]


def get_default_policy(db: Database) -> Policy | None:
    with db.read() as tx:
        stored = models_rows.get_setting(tx, DEFAULT_POLICY_SETTING)
    return policy_from_dict(orjson.loads(stored)) if stored else None


def set_default_policy(db: Database, policy: Policy | None, actor: Actor) -> None:
    """Set (or with None, clear) the server-wide policy of models that have none of their own."""
    stored = orjson.dumps(policy_to_dict(validate_policy(policy))).decode() if policy is not None else None
    with db.write() as tx:
        models_rows.set_setting(tx, DEFAULT_POLICY_SETTING, stored, clock.now_ms(), actor.name)


def effective_policy(tx: Tx, model: ModelRef) -> tuple[Policy, str]:
    if model.policy:
        return policy_from_dict(orjson.loads(model.policy)), SCOPE_MODEL
    stored = models_rows.get_setting(tx, DEFAULT_POLICY_SETTING)
    if stored:
        return policy_from_dict(orjson.loads(stored)), SCOPE_DEFAULT
    return Policy(), SCOPE_BUILTIN


def _requirement_from_dict(item: object) -> MetricRequirement:
    if not isinstance(item, dict) or set(item) != {"key", "op", "threshold"}:
        raise InvalidParameter("Each required metric needs exactly key, op and threshold (or 'auc >= 0.8').")
    threshold = item["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise InvalidParameter(f"Required metric '{item['key']}' threshold must be a number.")
    return _checked_requirement(MetricRequirement(item["key"], item["op"], float(threshold)))


def _seconds_ms(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameter(f"Policy field {STABILITY_WINDOW_FIELD} must be a duration such as 48h, "
                               f"got {value!r}.")
    return int(value * 1000)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_requirement(req: MetricRequirement) -> MetricRequirement:
    validate_key("metric", req.key)
    if req.op not in METRIC_OPS:
        raise InvalidParameter(
            f"Metric requirement on '{req.key}': operator {req.op!r} is not one of {', '.join(METRIC_OPS)}."
        )
    if isinstance(req.threshold, bool) or not isinstance(req.threshold, (int, float)) or math.isnan(req.threshold):
        raise InvalidParameter(f"Metric requirement on '{req.key}': the threshold must be a number.")
    return MetricRequirement(req.key, req.op, float(req.threshold))
