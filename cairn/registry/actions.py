"""The names of audit event actions, and which of them announce which webhook events."""

from __future__ import annotations

MODEL_CREATED = "model_created"
MODEL_RENAMED = "model_renamed"
MODEL_DELETED = "model_deleted"
VERSION_CREATED = "version_created"
VERSION_DELETED = "version_deleted"
PROMOTE = "promote"  # a stage change someone asked for (directly or through an approved request)
ARCHIVE = "archive"  # a version archived as a side effect of a promotion or rollback
ROLLBACK = "rollback"  # a previous Production version put back
TRANSITION_REFUSED = "transition_refused"  # gates failed; the stage did not change
SIGNOFF_REQUESTED = "signoff_requested"
SIGNOFF_APPROVED = "signoff_approved"
SIGNOFF_REJECTED = "signoff_rejected"
ALIAS_SET = "alias_set"
ALIAS_DELETED = "alias_deleted"
POLICY_SET = "policy_set"
ARTIFACTS_DELETED = "artifacts_deleted"  # an archived version's files removed after its retention
DEPLOYMENT_SET = "deployment_set"  # a deployment's traffic (canary, shadow, A/B, primary alias) changed
STANDBY = "standby"  # a replaced Production version kept warm for rollback until its stability window ends
STANDBY_HELD = "standby_held"  # a gate breach during the window: the standby version is kept, not archived
GATE_BREACH = "gate_breach"  # serving evidence on the Production version failed a gate after promotion

# Actions that move a version between stages: the timeline is derived from these.
STAGE_ACTIONS = frozenset({PROMOTE, ARCHIVE, ROLLBACK, STANDBY})

# MLflow 3's webhook event names where MLflow has one; Cairn's own for what MLflow lacks.
WEBHOOK_EVENTS = {
    MODEL_CREATED: ("registered_model.created",),
    VERSION_CREATED: ("model_version.created",),
    PROMOTE: ("model_version.stage_changed",),
    ARCHIVE: ("model_version.stage_changed",),
    STANDBY: ("model_version.stage_changed",),
    ROLLBACK: ("model_version.stage_changed", "model_version.rolled_back"),
    GATE_BREACH: ("model_version.gate_breached",),
    ALIAS_SET: ("model_version_alias.created",),
    ALIAS_DELETED: ("model_version_alias.deleted",),
    SIGNOFF_REQUESTED: ("transition_request.created",),
    SIGNOFF_APPROVED: ("transition_request.approved",),
    SIGNOFF_REJECTED: ("transition_request.rejected",),
}
TAG_SET_EVENT = "model_version_tag.set"
TAG_DELETED_EVENT = "model_version_tag.deleted"
TEST_EVENT = "webhook.test"
ALL_WEBHOOK_EVENTS = frozenset(
    {event for events in WEBHOOK_EVENTS.values() for event in events} | {TAG_SET_EVENT, TAG_DELETED_EVENT}
)
