"""The model registry on the wire: entities as MLflow's JSON messages (``model_registry.proto``)
and Cairn's own registry records, plus what registry routes read from a request besides its
fields (the acting user, the model files, the webhook worker to wake).

MLflow's messages spell versions as strings (``"version": "3"``) and leave absent fields out.
Cairn's records (outcomes, requests, audit events, intervals, policies, webhooks) keep the field
names of ``cairn.entities`` so the REST backend rebuilds them one to one.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request

from cairn.entities import (
    Actor,
    AuditEvent,
    GateResult,
    ModelVersion,
    Policy,
    RegisteredModel,
    TimelineInterval,
    TransitionOutcome,
    TransitionRequest,
    Webhook,
    WebhookDelivery,
)
from cairn.errors import InvalidParameter
from cairn.registry.audit import event_payload, gate_payload
from cairn.registry.model_files import ArtifactStoreModelFiles
from cairn.registry.policies import policy_to_dict
from cairn.registry.validation import validate_actor_name
from cairn.registry.webhook_delivery import DeliveryWorker
from cairn.registry.webhooks import has_pending_deliveries

from .encoders import key_values
from .fields import Fields
from .state import artifacts_of, db_of

# Until the server authenticates users, the name a client states is recorded as unverified; the
# mlflow client states none, so its changes are recorded under UNKNOWN_USER.
USER_HEADER = "X-Cairn-User"
UNKNOWN_USER = "unknown"


# request side ------------------------------------------------------------------------------

def actor_of(request: Request) -> Actor:
    stated = request.headers.get(USER_HEADER)
    # Percent-encoded UTF-8, since header values are Latin-1 on the wire.
    return Actor(validate_actor_name(unquote(stated)) if stated is not None else UNKNOWN_USER, verified=False)


def model_files_of(request: Request) -> ArtifactStoreModelFiles:
    """What the signature and input-example gates read the version's MLmodel through."""
    return ArtifactStoreModelFiles(artifacts_of(request))


def announce(request: Request) -> None:
    """Wake this process's webhook worker if the change just made queued deliveries."""
    state = request.app.state
    worker: DeliveryWorker | None = getattr(state, "cairn_webhook_worker", None)
    if worker is None:
        db = db_of(request)
        if not has_pending_deliveries(db):
            return
        worker = DeliveryWorker(db)
        state.cairn_webhook_worker = worker
    worker.kick()


def version_of(fields: Fields) -> int:
    """The ``version`` field: MLflow sends a string of digits, other clients a number."""
    number = fields.int64("version", required=True)
    assert number is not None
    return number


# MLflow messages ---------------------------------------------------------------------------

def model_version_to_wire(v: ModelVersion) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description,
        "source": v.source,
        "status": v.status,
    }
    if v.user_id:
        wire["user_id"] = v.user_id
    for name in ("run_id", "run_link", "status_message", "model_id"):
        value = getattr(v, name)
        if value:
            wire[name] = value
    if v.tags:
        wire["tags"] = key_values(v.tags)
    if v.aliases:
        wire["aliases"] = list(v.aliases)
    return wire


def registered_model_to_wire(m: RegisteredModel) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description,
    }
    if m.latest_versions:
        wire["latest_versions"] = [model_version_to_wire(v) for v in m.latest_versions]
    if m.tags:
        wire["tags"] = key_values(m.tags)
    if m.aliases:
        wire["aliases"] = [{"alias": a, "version": str(n)} for a, n in m.aliases.items()]
    return wire


def model_versions_payload(versions: Sequence[ModelVersion], token: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if versions:
        payload["model_versions"] = [model_version_to_wire(v) for v in versions]
    if token:
        payload["next_page_token"] = token
    return payload


# Cairn records -----------------------------------------------------------------------------

def gates_to_wire(results: Sequence[GateResult]) -> list[dict[str, Any]]:
    return [gate_payload(g) for g in results]


def request_to_wire(r: TransitionRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id, "model_name": r.model_name, "version": r.version,
        "from_stage": r.from_stage, "to_stage": r.to_stage, "requested_by": r.requested_by,
        "requested_by_verified": r.requested_by_verified, "requested_time": r.requested_time,
        "status": r.status, "reason": r.reason, "archive_existing_versions": r.archive_existing_versions,
        "decided_by": r.decided_by, "decided_time": r.decided_time, "decision_comment": r.decision_comment,
        "gate_results": gates_to_wire(r.gate_results),
    }  # fmt: skip


def outcome_to_wire(o: TransitionOutcome) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "model_version": model_version_to_wire(o.model_version),
        "applied": o.applied,
        "gate_results": gates_to_wire(o.gate_results),
        "archived_versions": list(o.archived_versions),
    }
    if o.request is not None:
        wire["request"] = request_to_wire(o.request)
    return wire


def event_to_wire(e: AuditEvent) -> dict[str, Any]:
    return event_payload(e)


def interval_to_wire(i: TimelineInterval) -> dict[str, Any]:
    return {
        "kind": i.kind, "label": i.label, "version": i.version, "start": i.start, "end": i.end,
        "started_by": i.started_by, "started_by_verified": i.started_by_verified,
        "start_reason": i.start_reason, "ended_by": i.ended_by, "approved_by": i.approved_by,
    }  # fmt: skip


def policy_to_wire(p: Policy | None) -> dict[str, Any] | None:
    return policy_to_dict(p) if p is not None else None


def webhook_to_wire(w: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": w.webhook_id, "name": w.name, "url": w.url, "events": list(w.events), "status": w.status,
        "creation_timestamp": w.creation_timestamp, "last_updated_timestamp": w.last_updated_timestamp,
        "description": w.description, "allow_private": w.allow_private,
    }  # fmt: skip


def delivery_to_wire(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": d.delivery_id, "webhook_id": d.webhook_id, "event": d.event, "status": d.status,
        "attempts": d.attempts, "created_time": d.created_time, "status_code": d.status_code, "error": d.error,
        "last_attempt_time": d.last_attempt_time, "next_attempt_time": d.next_attempt_time,
    }  # fmt: skip


# search filters ----------------------------------------------------------------------------
# MLflow's registry search grammar: comparisons joined by AND, on a few attributes and on
# tags (``name LIKE 'churn%' AND tags.team = 'vision'``, ``run_id IN ('a', 'b')``). The domain's
# searches take a name or run id; the rest is matched here against the versions they return.

_FILTER_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'[^']*'|"[^"]*")
    | (?P<number>-?\d+)(?![\w.])
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_]\w*(?:\.(?:`[^`]+`|"[^"]+"|[\w.]+))?)
    )""",
    re.VERBOSE,
)
_TAG_PREFIXES = ("tags", "tag")
_WORD_OPS = ("LIKE", "ILIKE", "IN")
_ORDER = re.compile(r"^\s*(\w+)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)
MAX_FILTER_LENGTH = 10_000
# The mlflow client adds tags.`mlflow.prompt.is_prompt` != 'true' to its searches to leave out
# prompts; MLflow reads an entity without that tag as "not a prompt", so it must match.
_TAG_DEFAULTS = {"mlflow.prompt.is_prompt": "false"}


@dataclass(frozen=True)
class Condition:
    field: str  # an attribute name, or "tag"
    key: str  # the tag key (the attribute name again for attributes)
    op: str
    value: str | int | tuple[str | int, ...]


def parse_registry_filter(text: str | None, attributes: frozenset[str], numeric: frozenset[str],
                          what: str, example: str) -> list[Condition]:
    """``text`` as AND-ed conditions; ``InvalidParameter`` naming what is wrong and an example."""
    if not text or not text.strip():
        return []

    def fail(detail: str) -> InvalidParameter:
        shown = text if len(text) <= 200 else text[:200] + "..."
        return InvalidParameter(f"Invalid filter for {what} '{shown}': {detail} Example: {example}")

    if len(text) > MAX_FILTER_LENGTH:
        raise fail(f"the limit is {MAX_FILTER_LENGTH} characters.")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _FILTER_TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise fail(f"unexpected text at position {pos}: '{text[pos:].strip()[:20]}'.")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    conditions: list[Condition] = []
    i = 0
    while True:
        if i >= len(tokens) or tokens[i][0] != "ident":
            raise fail("expected a field such as name or tags.<key>.")
        word = tokens[i][1]
        prefix, dot, rest = word.partition(".")
        if dot and prefix.lower() in _TAG_PREFIXES:
            field, key = "tag", rest[1:-1] if rest[:1] in ("`", '"') else rest
        elif word in attributes:
            field = key = word
        else:
            raise fail(f"unknown field '{word}'; use {', '.join(sorted(attributes))} or tags.<key>.")
        i += 1
        kind, op = tokens[i] if i < len(tokens) else ("", "")
        if kind == "ident" and op.upper() == "NOT" and i + 1 < len(tokens) and tokens[i + 1][1].upper() == "IN":
            op, i = "NOT IN", i + 2
        elif kind == "op" or (kind == "ident" and op.upper() in _WORD_OPS):
            op, i = op.upper(), i + 1
        else:
            raise fail(f"expected a comparison operator after '{word}'.")
        is_number = field in numeric
        allowed = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN") if is_number else (
            "=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
        if op not in allowed:
            raise fail(f"operator '{op}' cannot be used on {word}; use one of {', '.join(allowed)}.")
        value: str | int | tuple[str | int, ...]
        if op in ("IN", "NOT IN"):
            if i >= len(tokens) or tokens[i] != ("punct", "("):
                raise fail(f"{op} needs a parenthesized list, e.g. ('a', 'b').")
            items: list[str | int] = []
            i += 1
            while True:
                items.append(_filter_value(tokens, i, is_number, word, fail))
                i += 1
                if i < len(tokens) and tokens[i] == ("punct", ","):
                    i += 1
                    continue
                if i < len(tokens) and tokens[i] == ("punct", ")"):
                    i += 1
                    break
                raise fail(f"the list after {op} is not closed with ')'.")
            value = tuple(items)
        else:
            value = _filter_value(tokens, i, is_number, word, fail)
            i += 1
        conditions.append(Condition(field, key, op, value))
        if i == len(tokens):
            return conditions
        if tokens[i][0] != "ident" or tokens[i][1].upper() != "AND":
            raise fail(f"expected AND or the end of the filter, got '{tokens[i][1]}'.")
        i += 1


def _filter_value(tokens: list[tuple[str, str]], i: int, is_number: bool, word: str,
                  fail: Callable[[str], InvalidParameter]) -> str | int:
    kind, raw = tokens[i] if i < len(tokens) else ("", "")
    if is_number and (kind == "number" or (kind == "string" and raw[1:-1].lstrip("-").isdigit())):
        return int(raw.strip("'\""))
    if not is_number and kind == "string":
        return raw[1:-1]
    raise fail(f"{word} needs {'a number' if is_number else 'a quoted string'}, got '{raw or 'nothing'}'.")


def tag_value(tags: Mapping[str, str], key: str) -> str | None:
    """A tag's value for filtering (None when missing, which fails every comparison)."""
    return tags.get(key, _TAG_DEFAULTS.get(key))


def matches(conditions: Sequence[Condition], value_of: Callable[[Condition], str | int | None]) -> bool:
    """Whether an entity passes every condition; ``value_of`` reads the field a condition names
    (None when the entity lacks it, e.g. a missing tag, which fails every comparison)."""
    for c in conditions:
        actual = value_of(c)
        if actual is None or not _compare(actual, c.op, c.value):
            return False
    return True


def _compare(actual: str | int, op: str, wanted: Any) -> bool:
    if op in ("LIKE", "ILIKE"):
        pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in wanted)
        return re.fullmatch(pattern, str(actual), re.DOTALL | (re.IGNORECASE if op == "ILIKE" else 0)) is not None
    if op in ("IN", "NOT IN"):
        return (actual in wanted) == (op == "IN")
    tests: dict[str, Callable[[Any, Any], bool]] = {
        "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    }  # fmt: skip
    return tests[op](actual, wanted)


def parse_registry_order_by(clauses: Sequence[str], keys: frozenset[str], what: str) -> list[tuple[str, bool]]:
    """``["name ASC", "last_updated_timestamp DESC"]`` as (key, ascending) pairs."""
    parsed = []
    for clause in clauses:
        match = _ORDER.match(clause)
        key = match.group(1) if match else ""
        if match is None or key not in keys:
            raise InvalidParameter(
                f"Invalid order_by clause '{clause}' for {what}: use one of {', '.join(sorted(keys))}, "
                "optionally followed by ASC or DESC."
            )
        parsed.append((key, (match.group(2) or "ASC").upper() == "ASC"))
    return parsed
