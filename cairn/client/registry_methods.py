"""The model-registry methods of ``Client``: register, promote, approve, roll back, and read the
audit trail and the production timeline.

Writes record who made them: ``user=`` when given, else ``CAIRN_USER``, else the OS user, stored
as unverified (see ``users``); a server with ``--auth`` records the signed-in user instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from cairn.entities import (
    AuditEvent,
    CollectedArtifacts,
    FileInfo,
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
from .backends.base import Backend
from .times import to_ms
from .users import actor_of


class RegistryMethods:
    """Mixed into ``Client``; needs its ``_backend`` and ``flush``.

    >>> client = Client()
    >>> v = client.register_model(f"runs:/{run_id}/model", "churn")
    >>> client.promote("churn", v.version, "Staging", reason="offline eval passed")
    >>> client.rollback_model("churn", reason="latency regression")
    """

    _backend: Backend
    flush: Callable[[], None]  # Client's: registry reads must see queued metric points

    # registered models -----------------------------------------------------------------------
    def create_registered_model(self, name: str, description: str | None = None,
                                tags: Mapping[str, Any] | None = None, *, user: str | None = None) -> RegisteredModel:
        return self._backend.create_registered_model(name, description, _tags(tags), actor_of(user))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._backend.get_registered_model(name)

    def search_registered_models(self, name_like: str | None = None, max_results: int = 100,
                                 page_token: str | None = None) -> PagedList:
        """Models by name; ``name_like`` is a LIKE pattern such as ``'churn%'``."""
        return self._backend.search_registered_models(name_like, max_results, page_token)

    def rename_registered_model(self, name: str, new_name: str, *, user: str | None = None) -> RegisteredModel:
        return self._backend.rename_registered_model(name, new_name, actor_of(user))

    def update_registered_model(self, name: str, description: str | None, *,
                                user: str | None = None) -> RegisteredModel:
        return self._backend.update_registered_model(name, description, actor_of(user))

    def delete_registered_model(self, name: str, *, reason: str | None = None, user: str | None = None) -> None:
        self._backend.delete_registered_model(name, actor_of(user), reason)

    def set_registered_model_tag(self, name: str, key: str, value: Any, *, user: str | None = None) -> None:
        self._backend.set_registered_model_tag(name, key, str(value), actor_of(user))

    def delete_registered_model_tag(self, name: str, key: str, *, user: str | None = None) -> None:
        self._backend.delete_registered_model_tag(name, key, actor_of(user))

    # versions --------------------------------------------------------------------------------
    def register_model(self, model_uri: str, name: str, *, run_id: str | None = None,
                       description: str | None = None, tags: Mapping[str, Any] | None = None,
                       user: str | None = None) -> ModelVersion:
        """Register the model at ``model_uri`` (``runs:/<run_id>/<path>`` or
        ``mlflow-artifacts:/...``) as the next version of ``name``, creating the model if needed."""
        return self._backend.register_model(model_uri, name, run_id, description, _tags(tags), actor_of(user))

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             description: str | None = None, tags: Mapping[str, Any] | None = None, *,
                             user: str | None = None) -> ModelVersion:
        return self._backend.create_model_version(name, source, run_id, description, _tags(tags), actor_of(user))

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._backend.get_model_version(name, _version(version))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._backend.get_version_by_alias(name, alias)

    def resolve_model_version(self, ref: str) -> ModelVersion:
        """The version ``ref`` names: ``NAME@alias``, ``NAME/3``, ``NAME/Production``, ``NAME/latest``,
        or ``NAME`` (its Production version, else its newest); ``models:/`` may prefix it."""
        return self._backend.resolve_model_version(ref)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
        return self._backend.get_latest_versions(name, stages)

    def search_model_versions(self, name: str | None = None, run_id: str | None = None, max_results: int = 100,
                              page_token: str | None = None) -> PagedList:
        return self._backend.search_model_versions(name, run_id, max_results, page_token)

    def update_model_version(self, name: str, version: int | str, description: str | None, *,
                             user: str | None = None) -> ModelVersion:
        return self._backend.update_model_version(name, _version(version), description, actor_of(user))

    def delete_model_version(self, name: str, version: int | str, *, reason: str | None = None,
                             user: str | None = None) -> None:
        self._backend.delete_model_version(name, _version(version), actor_of(user), reason)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any, *,
                              user: str | None = None) -> None:
        self._backend.set_model_version_tag(name, _version(version), key, str(value), actor_of(user))

    def delete_model_version_tag(self, name: str, version: int | str, key: str, *, user: str | None = None) -> None:
        self._backend.delete_model_version_tag(name, _version(version), key, actor_of(user))

    def list_model_version_artifacts(self, version: ModelVersion, path: str = "") -> list[FileInfo]:
        """Immediate children of ``path`` inside the version's files, paths relative to them; none
        for a version whose files are outside Cairn's store."""
        location = version.files_location
        if location is None and not version.external:  # rebuilt from MLflow's message, which lacks it
            location = self.resolve_model_version(f"{version.name}/{version.version}").files_location
        return list(self._backend.list_artifacts(location, path)) if location is not None else []

    # stages, aliases, sign-off, rollback -----------------------------------------------------
    def promote(self, name: str, version: int | str, stage: str, *, reason: str | None = None,
                archive_existing_versions: bool = False, user: str | None = None) -> TransitionOutcome:
        """Move a version to a stage under the model's policy. Promoting to Production archives
        the current Production version. ``outcome.applied`` is False when a sign-off request was
        opened instead; a failed gate raises ``Conflict`` naming each failure."""
        self.flush()  # metric gates read the run's latest values: send queued points first
        return self._backend.promote(name, _version(version), stage, actor_of(user), reason,
                                        archive_existing_versions)

    def transition_model_version_stage(self, name: str, version: int | str, stage: str,
                                       archive_existing_versions: bool = False, *, reason: str | None = None,
                                       user: str | None = None) -> ModelVersion:
        """MLflow's call: ``promote`` returning the version."""
        return self.promote(name, version, stage, reason=reason, archive_existing_versions=archive_existing_versions,
                            user=user).model_version

    def set_registered_model_alias(self, name: str, alias: str, version: int | str, *, reason: str | None = None,
                                   user: str | None = None) -> ModelVersion:
        return self._backend.set_alias(name, alias, _version(version), actor_of(user), reason)

    def delete_registered_model_alias(self, name: str, alias: str, *, reason: str | None = None,
                                      user: str | None = None) -> None:
        self._backend.delete_alias(name, alias, actor_of(user), reason)

    def list_transition_requests(self, name: str | None = None,
                                 status: str | None = "PENDING") -> list[TransitionRequest]:
        return self._backend.list_transition_requests(name, status)

    def approve_transition(self, name: str, version: int | str, *, comment: str | None = None,
                           user: str | None = None) -> TransitionOutcome:
        """Sign off the pending request for a version (not as its requester) and apply it."""
        self.flush()
        return self._backend.approve_transition_request(name, _version(version), actor_of(user), comment)

    def reject_transition(self, name: str, version: int | str, *, comment: str | None = None,
                          user: str | None = None) -> TransitionRequest:
        return self._backend.reject_transition_request(name, _version(version), actor_of(user), comment)

    def rollback_model(self, name: str, *, reason: str, version: int | str | None = None,
                       user: str | None = None) -> TransitionOutcome:
        """Put back the previous Production version (or ``version``); the current one is archived."""
        return self._backend.rollback(name, actor_of(user), reason, _version(version) if version is not None else None)

    rollback = rollback_model

    # policies --------------------------------------------------------------------------------
    def get_policy(self, name: str) -> Policy:
        return self._backend.get_policy(name)

    def get_policy_scope(self, name: str) -> str:
        return self._backend.get_policy_scope(name)

    def set_policy(self, name: str, policy: Policy | Mapping[str, Any] | None, *, reason: str | None = None,
                   user: str | None = None) -> Policy:
        """Give a model its own policy (a ``Policy`` or its JSON form); None reverts to the default."""
        return self._backend.set_policy(name, _policy(policy), actor_of(user), reason)

    def get_default_policy(self) -> Policy | None:
        return self._backend.get_default_policy()

    def set_default_policy(self, policy: Policy | Mapping[str, Any] | None, *, user: str | None = None) -> None:
        self._backend.set_default_policy(_policy(policy), actor_of(user))

    # history ---------------------------------------------------------------------------------
    def audit(self, name: str, version: int | str | None = None, max_results: int | None = None,
              newest_first: bool = False) -> list[AuditEvent]:
        """The model's audit trail (also after the model was deleted)."""
        number = _version(version) if version is not None else None
        return self._backend.list_audit_events(name, number, max_results, newest_first)

    def timeline(self, name: str, include_aliases: bool = True) -> list[TimelineInterval]:
        """[start, end) intervals each version spent in Production (and each alias on each version)."""
        return self._backend.get_timeline(name, include_aliases)

    def production_version_at(self, name: str, at: int | datetime) -> TimelineInterval | None:
        """Which version was in Production at ``at`` (ms since the epoch, or a datetime)."""
        return self._backend.production_version_at(name, to_ms(at))

    def aliases_at(self, name: str, at: int | datetime) -> list[TimelineInterval]:
        return self._backend.aliases_at(name, to_ms(at))

    # webhooks --------------------------------------------------------------------------------
    def create_webhook(self, url: str, events: Sequence[str] | None = None, *, name: str | None = None,
                       secret: str | None = None, description: str | None = None, allow_private: bool = False,
                       user: str | None = None) -> tuple[Webhook, str]:
        """Subscribe ``url`` to registry events; returns the webhook and its signing secret."""
        return self._backend.create_webhook(url, events, actor_of(user), name, secret, description, allow_private)

    def list_webhooks(self) -> list[Webhook]:
        return self._backend.list_webhooks()

    def delete_webhook(self, webhook_id: str, *, user: str | None = None) -> None:
        self._backend.delete_webhook(webhook_id, actor_of(user))

    def test_webhook(self, webhook_id: str, *, user: str | None = None) -> WebhookDelivery:
        """Send a test event now and return the logged delivery (DELIVERED or FAILED)."""
        return self._backend.test_webhook(webhook_id, actor_of(user))

    def list_webhook_deliveries(self, webhook_id: str | None = None, max_results: int = 100) -> list[WebhookDelivery]:
        return self._backend.list_webhook_deliveries(webhook_id, max_results)

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        """Send the queued deliveries that are due now (a worker normally does this)."""
        return self._backend.deliver_webhooks()

    # retention -------------------------------------------------------------------------------
    def collect_expired_artifacts(self, *, dry_run: bool = False, user: str | None = None) -> list[CollectedArtifacts]:
        """Delete the files of Archived versions whose retention (policy ``retention_days``) has
        ended, each audited; ``dry_run`` only reports what would go. Such a version can then
        only stay Archived."""
        return self._backend.collect_expired_artifacts(actor_of(user), dry_run)


def _version(version: int | str) -> int:
    from cairn.registry.validation import parse_version

    return parse_version(version)


def _tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (tags or {}).items()}


def _policy(policy: Policy | Mapping[str, Any] | None) -> Policy | None:
    if policy is None or isinstance(policy, Policy):
        return policy
    from cairn.registry.policies import policy_from_dict

    return policy_from_dict(dict(policy))
