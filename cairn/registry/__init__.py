"""Registry domain rules: registered models, versions, stages, aliases, policies and gates,
sign-off, the audit trail, the production timeline, rollback, retention of archived versions'
files, webhooks, deployments, lineage (dataset -> run -> model version -> deployment, in
``registry.lineage``), and garbage collection (``registry.garbage``: experiments' retention
policies and deleted runs, never touching what production may need).

Both the embedded SDK (``LocalBackend``) and the server's routes call these functions, so a rule
such as "at most one Production version per model" holds the same in both modes. Each takes the
``Database``, plain arguments and the acting ``Actor``, validates, then does its work in one
write transaction through ``store/`` (SQLAlchemy Core). The audit event of a change, and the
webhook deliveries announcing it, are written in that same transaction.
"""

from cairn.registry.aliases import delete_alias, get_version_by_alias, set_alias
from cairn.registry.approvals import (
    approve_transition_request,
    list_transition_requests,
    reject_transition_request,
)
from cairn.registry.audit import list_audit_events
from cairn.registry.garbage import collect_garbage
from cairn.registry.model_files import ArtifactStoreModelFiles, ModelFiles
from cairn.registry.models import (
    create_registered_model,
    delete_registered_model,
    delete_registered_model_tag,
    get_registered_model,
    rename_registered_model,
    search_registered_models,
    set_registered_model_tag,
    update_registered_model,
)
from cairn.registry.policies import (
    get_default_policy,
    get_policy,
    get_policy_scope,
    parse_metric_requirement,
    set_default_policy,
    set_policy,
)
from cairn.registry.refs import resolve_model_ref
from cairn.registry.retention import collect_expired_artifacts
from cairn.registry.rollback import rollback
from cairn.registry.timeline import aliases_at, get_timeline, production_version_at
from cairn.registry.transitions import promote
from cairn.registry.versions import (
    create_model_version,
    delete_model_version,
    delete_model_version_tag,
    get_latest_versions,
    get_model_version,
    get_model_version_download_uri,
    register_model,
    search_model_versions,
    set_model_version_tag,
    update_model_version,
)
from cairn.registry.webhook_delivery import DeliveryWorker, deliver_due, send_test
from cairn.registry.webhooks import (
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    list_webhooks_page,
    update_webhook,
)

__all__ = [
    "ArtifactStoreModelFiles", "DeliveryWorker", "ModelFiles", "aliases_at", "approve_transition_request",
    "collect_expired_artifacts", "collect_garbage",
    "create_model_version", "create_registered_model", "create_webhook", "delete_alias", "delete_model_version",
    "delete_model_version_tag", "delete_registered_model", "delete_registered_model_tag", "delete_webhook",
    "deliver_due", "get_default_policy", "get_latest_versions", "get_model_version",
    "get_model_version_download_uri", "get_policy", "get_policy_scope", "get_registered_model", "get_timeline",
    "get_version_by_alias", "get_webhook", "list_audit_events", "list_deliveries", "list_transition_requests",
    "list_webhooks", "list_webhooks_page", "parse_metric_requirement", "production_version_at", "promote",
    "register_model",
    "reject_transition_request", "rename_registered_model", "resolve_model_ref", "rollback",
    "search_model_versions", "search_registered_models", "send_test", "set_alias", "set_default_policy",
    "set_model_version_tag", "set_policy", "set_registered_model_tag", "update_model_version",
    "update_registered_model", "update_webhook",
]
