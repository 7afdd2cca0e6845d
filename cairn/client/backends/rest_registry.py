"""The model-registry half of the REST backend (``RegistryBackend`` over HTTP).

MLflow's registry routes carry what MLflow has words for; Cairn's ``/api/cairn/v1/`` routes carry
the rest (promotion outcomes, sign-off, policies, audit, timeline, rollback, webhooks). Reading
and deleting an alias also go through Cairn's routes: MLflow's routes answer an alias that is not
set with 400 and delete one without complaint, Cairn's answer ``NotFound`` as the embedded
registry does, so user code sees the same error in both modes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from cairn.entities import (
    Actor,
    AuditEvent,
    CollectedArtifacts,
    GateResult,
    ModelVersion,
    PagedList,
    Policy,
    RegisteredModel,
    TimelineInterval,
    TransitionOutcome,
    TransitionRequest,
    Webhook,
    WebhookDelivery,
)
from cairn.registry.policies import policy_from_dict, policy_to_dict

from cairn.store.search_grammar import string_literal

from .rest_transport import API as MLFLOW
from .rest_transport import CAIRN, RestTransport, given, pairs, tags_of

_SEARCHED = "A name in a registry search"


class RestRegistry(RestTransport):
    """Mixed into ``RestBackend``."""

    # registered models -----------------------------------------------------------------------
    def create_registered_model(self, name: str, description: str | None, tags: dict[str, str],
                                actor: Actor) -> RegisteredModel:
        body = {"name": name, "tags": pairs(tags), **given(description=description)}
        return _model(self._request("POST", MLFLOW + "/registered-models/create", body, actor=actor)
                      ["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        found = self._request("GET", MLFLOW + "/registered-models/get", params={"name": name})
        return _model(found["registered_model"])

    def search_registered_models(self, name_like: str | None, max_results: int,
                                 page_token: str | None) -> PagedList:
        # ILIKE: the embedded store's LIKE ignores case too.
        body = {"max_results": max_results, **given(page_token=page_token)}
        if name_like is not None:
            body["filter"] = f"name ILIKE {string_literal(name_like, _SEARCHED)}"
        found = self._request("GET", MLFLOW + "/registered-models/search", params=body)
        return PagedList([_model(m) for m in found.get("registered_models", [])], found.get("next_page_token"))

    def rename_registered_model(self, name: str, new_name: str, actor: Actor) -> RegisteredModel:
        body = {"name": name, "new_name": new_name}
        return _model(self._request("POST", MLFLOW + "/registered-models/rename", body, actor=actor)
                      ["registered_model"])

    def update_registered_model(self, name: str, description: str | None, actor: Actor) -> RegisteredModel:
        body = {"name": name, **given(description=description)}
        return _model(self._request("PATCH", MLFLOW + "/registered-models/update", body, actor=actor)
                      ["registered_model"])

    def delete_registered_model(self, name: str, actor: Actor, reason: str | None) -> None:
        body = {"name": name, **given(reason=reason)}
        self._request("DELETE", MLFLOW + "/registered-models/delete", body, actor=actor)

    def set_registered_model_tag(self, name: str, key: str, value: str, actor: Actor) -> None:
        body = {"name": name, "key": key, "value": value}
        self._request("POST", MLFLOW + "/registered-models/set-tag", body, actor=actor)

    def delete_registered_model_tag(self, name: str, key: str, actor: Actor) -> None:
        body = {"name": name, "key": key}
        self._request("DELETE", MLFLOW + "/registered-models/delete-tag", body, actor=actor)

    # versions --------------------------------------------------------------------------------
    def create_model_version(self, name: str, source: str, run_id: str | None, description: str | None,
                             tags: dict[str, str], actor: Actor) -> ModelVersion:
        body = {"name": name, "source": source, "tags": pairs(tags), **given(run_id=run_id, description=description)}
        return _version(self._request("POST", MLFLOW + "/model-versions/create", body, actor=actor)
                        ["model_version"])

    def register_model(self, source: str, name: str, run_id: str | None, description: str | None,
                       tags: dict[str, str], actor: Actor) -> ModelVersion:
        body = {"name": name, "source": source, "tags": pairs(tags), **given(run_id=run_id, description=description)}
        return _version_with_files(self._request("POST", CAIRN + "/model-versions/register", body, actor=actor))

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        params = {"name": name, "version": str(version)}
        return _version(self._request("GET", MLFLOW + "/model-versions/get", params=params)["model_version"])

    def resolve_model_version(self, ref: str) -> ModelVersion:
        return _version_with_files(self._request("GET", CAIRN + "/models/show", params={"ref": ref}))

    def get_latest_versions(self, name: str, stages: Sequence[str] | None) -> list[ModelVersion]:
        body = {"name": name, "stages": list(stages or ())}
        found = self._request("POST", MLFLOW + "/registered-models/get-latest-versions", body)
        return [_version(v) for v in found.get("model_versions", [])]

    def search_model_versions(self, name: str | None, run_id: str | None, max_results: int,
                              page_token: str | None) -> PagedList:
        conditions = [f"{field} = {string_literal(value, _SEARCHED)}" for field, value in (("name", name), ("run_id", run_id))
                      if value is not None]
        # Cairn's order (the embedded store's), not MLflow's default of newest first.
        params = {"max_results": max_results, "order_by": ["name ASC", "version_number ASC"],
                  **given(page_token=page_token)}
        if conditions:
            params["filter"] = " AND ".join(conditions)
        found = self._request("GET", MLFLOW + "/model-versions/search", params=params)
        return PagedList([_version(v) for v in found.get("model_versions", [])], found.get("next_page_token"))

    def update_model_version(self, name: str, version: int, description: str | None, actor: Actor) -> ModelVersion:
        body = {"name": name, "version": str(version), **given(description=description)}
        return _version(self._request("PATCH", MLFLOW + "/model-versions/update", body, actor=actor)
                        ["model_version"])

    def delete_model_version(self, name: str, version: int, actor: Actor, reason: str | None) -> None:
        body = {"name": name, "version": str(version), **given(reason=reason)}
        self._request("DELETE", MLFLOW + "/model-versions/delete", body, actor=actor)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str, actor: Actor) -> None:
        body = {"name": name, "version": str(version), "key": key, "value": value}
        self._request("POST", MLFLOW + "/model-versions/set-tag", body, actor=actor)

    def delete_model_version_tag(self, name: str, version: int, key: str, actor: Actor) -> None:
        body = {"name": name, "version": str(version), "key": key}
        self._request("DELETE", MLFLOW + "/model-versions/delete-tag", body, actor=actor)

    # stages, aliases, sign-off, rollback -----------------------------------------------------
    def promote(self, name: str, version: int, stage: str, actor: Actor, reason: str | None,
                archive_existing_versions: bool) -> TransitionOutcome:
        body = {"name": name, "version": str(version), "stage": stage,
                "archive_existing_versions": archive_existing_versions, **given(reason=reason)}
        return _outcome(self._request("POST", CAIRN + "/model-versions/promote", body, actor=actor)["outcome"])

    def set_alias(self, name: str, alias: str, version: int, actor: Actor, reason: str | None) -> ModelVersion:
        body = {"name": name, "alias": alias, "version": str(version), **given(reason=reason)}
        self._request("POST", MLFLOW + "/registered-models/alias", body, actor=actor)
        return self.get_model_version(name, version)

    def delete_alias(self, name: str, alias: str, actor: Actor, reason: str | None) -> None:
        body = {"name": name, "alias": alias, **given(reason=reason)}
        self._request("DELETE", CAIRN + "/models/alias", body, actor=actor)

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        found = self._request("GET", CAIRN + "/models/alias", params={"name": name, "alias": alias})
        return _version(found["model_version"])

    def list_transition_requests(self, name: str | None, status: str | None) -> list[TransitionRequest]:
        params = {"status": status or "ANY", **given(name=name)}
        found = self._request("GET", CAIRN + "/transition-requests", params=params)
        return [_transition_request(r) for r in found.get("requests", [])]

    def approve_transition_request(self, name: str, version: int, actor: Actor,
                                   comment: str | None) -> TransitionOutcome:
        body = {"name": name, "version": str(version), **given(comment=comment)}
        return _outcome(self._request("POST", CAIRN + "/transition-requests/approve", body, actor=actor)
                        ["outcome"])

    def reject_transition_request(self, name: str, version: int, actor: Actor,
                                  comment: str | None) -> TransitionRequest:
        body = {"name": name, "version": str(version), **given(comment=comment)}
        return _transition_request(self._request("POST", CAIRN + "/transition-requests/reject", body, actor=actor)
                        ["request"])

    def rollback(self, name: str, actor: Actor, reason: str, version: int | None) -> TransitionOutcome:
        body = {"name": name, "reason": reason, **given(version=str(version) if version is not None else None)}
        return _outcome(self._request("POST", CAIRN + "/models/rollback", body, actor=actor)["outcome"])

    # policies --------------------------------------------------------------------------------
    def get_policy(self, name: str) -> Policy:
        return policy_from_dict(self._request("GET", CAIRN + "/models/policy", params={"name": name})["policy"])

    def get_policy_scope(self, name: str) -> str:
        return str(self._request("GET", CAIRN + "/models/policy", params={"name": name})["scope"])

    def set_policy(self, name: str, policy: Policy | None, actor: Actor, reason: str | None) -> Policy:
        body = {"name": name, "policy": policy_to_dict(policy) if policy is not None else None, **given(reason=reason)}
        return policy_from_dict(self._request("POST", CAIRN + "/models/policy", body, actor=actor)["policy"])

    def get_default_policy(self) -> Policy | None:
        found = self._request("GET", CAIRN + "/policies/default").get("policy")
        return policy_from_dict(found) if found is not None else None

    def set_default_policy(self, policy: Policy | None, actor: Actor) -> None:
        body = {"policy": policy_to_dict(policy) if policy is not None else None}
        self._request("POST", CAIRN + "/policies/default", body, actor=actor)

    # history ---------------------------------------------------------------------------------
    def list_audit_events(self, name: str, version: int | None, max_results: int | None,
                          newest_first: bool) -> list[AuditEvent]:
        params = {"name": name, "newest_first": "true" if newest_first else "false",
                  **given(version=version, max_results=max_results)}
        return [_event(e) for e in self._request("GET", CAIRN + "/models/audit", params=params)["events"]]

    def get_timeline(self, name: str, include_aliases: bool) -> list[TimelineInterval]:
        params = {"name": name, "include_aliases": "true" if include_aliases else "false"}
        found = self._request("GET", CAIRN + "/models/timeline", params=params)
        return [_interval(i) for i in found["intervals"]]

    def production_version_at(self, name: str, at: int) -> TimelineInterval | None:
        found = self._request("GET", CAIRN + "/models/timeline", params={"name": name, "at": at})
        return _interval(found["production"]) if found.get("production") else None

    def aliases_at(self, name: str, at: int) -> list[TimelineInterval]:
        found = self._request("GET", CAIRN + "/models/timeline", params={"name": name, "at": at})
        return [_interval(i) for i in found.get("aliases", [])]

    # webhooks --------------------------------------------------------------------------------
    def create_webhook(self, url: str, events: Sequence[str] | None, actor: Actor, name: str | None,
                       secret: str | None, description: str | None, allow_private: bool) -> tuple[Webhook, str]:
        body = {"url": url, "events": list(events or ()), "allow_private": allow_private,
                **given(name=name, secret=secret, description=description)}
        found = self._request("POST", CAIRN + "/webhooks", body, actor=actor)
        return _webhook(found["webhook"]), str(found["secret"])

    def list_webhooks(self) -> list[Webhook]:
        return [_webhook(w) for w in self._request("GET", CAIRN + "/webhooks")["webhooks"]]

    def delete_webhook(self, webhook_id: str, actor: Actor) -> None:
        self._request("DELETE", f"{CAIRN}/webhooks/{quote(webhook_id, safe='')}", actor=actor)

    def test_webhook(self, webhook_id: str, actor: Actor) -> WebhookDelivery:
        found = self._request("POST", f"{CAIRN}/webhooks/{quote(webhook_id, safe='')}/test", actor=actor)
        return _delivery(found["delivery"])

    def list_webhook_deliveries(self, webhook_id: str | None, max_results: int) -> list[WebhookDelivery]:
        params = {"max_results": max_results, **given(webhook_id=webhook_id)}
        found = self._request("GET", CAIRN + "/webhooks/deliveries", params=params)
        return [_delivery(d) for d in found["deliveries"]]

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        return [_delivery(d) for d in self._request("POST", CAIRN + "/webhooks/deliver")["deliveries"]]

    # retention -------------------------------------------------------------------------------
    def collect_expired_artifacts(self, actor: Actor, dry_run: bool) -> list[CollectedArtifacts]:
        found = self._request("POST", CAIRN + "/models/collect-expired-artifacts", {"dry_run": dry_run},
                                    actor=actor)
        return [CollectedArtifacts(**c) for c in found["versions"]]


# decoding --------------------------------------------------------------------------------

def _version(v: dict[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=v["name"], version=int(v["version"]), creation_timestamp=int(v.get("creation_timestamp", 0)),
        last_updated_timestamp=int(v.get("last_updated_timestamp", 0)), current_stage=v.get("current_stage", "None"),
        description=v.get("description", ""), source=v.get("source", ""), run_id=v.get("run_id") or None,
        run_link=v.get("run_link") or None, status=v.get("status", "READY"), status_message=v.get("status_message"),
        user_id=v.get("user_id", ""), model_id=v.get("model_id") or None, tags=tags_of(v.get("tags")),
        aliases=list(v.get("aliases", [])),
    )  # fmt: skip


def _version_with_files(found: dict[str, Any]) -> ModelVersion:
    """A version from a Cairn route, which adds where its files are beside MLflow's message."""
    version = _version(found["model_version"])
    files = found.get("files") or {}
    version.files_location, version.external = files.get("location"), bool(files.get("external"))
    return version


def _model(m: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=m["name"], creation_timestamp=int(m.get("creation_timestamp", 0)),
        last_updated_timestamp=int(m.get("last_updated_timestamp", 0)), description=m.get("description", ""),
        tags=tags_of(m.get("tags")), aliases={a["alias"]: int(a["version"]) for a in m.get("aliases", [])},
        latest_versions=[_version(v) for v in m.get("latest_versions", [])],
    )  # fmt: skip


def _gates(items: list[dict[str, Any]] | None) -> tuple[GateResult, ...]:
    return tuple(GateResult(g["name"], bool(g["passed"]), str(g["observed"]), str(g["threshold"]), g.get("hint", ""),
                             g.get("evidence") or {})
                 for g in items or [])


def _transition_request(r: dict[str, Any]) -> TransitionRequest:
    return TransitionRequest(
        request_id=int(r["request_id"]), model_name=r["model_name"], version=int(r["version"]),
        from_stage=r["from_stage"], to_stage=r["to_stage"], requested_by=r["requested_by"],
        requested_time=int(r["requested_time"]), status=r["status"], reason=r.get("reason"),
        requested_by_verified=bool(r.get("requested_by_verified")),
        archive_existing_versions=bool(r.get("archive_existing_versions")), decided_by=r.get("decided_by"),
        decided_time=r.get("decided_time"), decision_comment=r.get("decision_comment"),
        gate_results=_gates(r.get("gate_results")),
    )  # fmt: skip


def _outcome(o: dict[str, Any]) -> TransitionOutcome:
    return TransitionOutcome(
        model_version=_version(o["model_version"]), applied=bool(o["applied"]), gate_results=_gates(o.get("gate_results")),
        request=_transition_request(o["request"]) if o.get("request") else None,
        archived_versions=tuple(int(n) for n in o.get("archived_versions", [])),
    )  # fmt: skip


def _event(e: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        event_id=int(e["event_id"]), model_name=e["model_name"], version=e.get("version"), action=e["action"],
        from_value=e.get("from"), to_value=e.get("to"), alias=e.get("alias"), actor=e["actor"],
        actor_verified=bool(e.get("actor_verified")), timestamp=int(e["timestamp"]), reason=e.get("reason"),
        gate_results=_gates(e.get("gate_results")), details=dict(e.get("details") or {}),
        actor_id=e.get("actor_id"), actor_method=e.get("actor_method"),
    )  # fmt: skip


def _interval(i: dict[str, Any]) -> TimelineInterval:
    return TimelineInterval(
        kind=i["kind"], label=i["label"], version=int(i["version"]), start=int(i["start"]), end=i.get("end"),
        started_by=i["started_by"], started_by_verified=bool(i.get("started_by_verified")),
        start_reason=i.get("start_reason"), ended_by=i.get("ended_by"), approved_by=i.get("approved_by"),
    )  # fmt: skip


def _webhook(w: dict[str, Any]) -> Webhook:
    return Webhook(
        webhook_id=w["webhook_id"], name=w["name"], url=w["url"], events=list(w["events"]), status=w["status"],
        creation_timestamp=int(w["creation_timestamp"]), last_updated_timestamp=int(w["last_updated_timestamp"]),
        description=w.get("description", ""), allow_private=bool(w.get("allow_private")),
    )  # fmt: skip


def _delivery(d: dict[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        delivery_id=int(d["delivery_id"]), webhook_id=d["webhook_id"], event=d["event"], status=d["status"],
        attempts=int(d["attempts"]), created_time=int(d["created_time"]), status_code=d.get("status_code"),
        error=d.get("error"), last_attempt_time=d.get("last_attempt_time"),
        next_attempt_time=d.get("next_attempt_time"),
    )  # fmt: skip
