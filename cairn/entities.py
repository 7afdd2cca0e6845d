"""Plain dataclasses shared by every layer.

Field names follow MLflow's protobuf messages (``run_id``, ``start_time`` in ms, ``lifecycle_stage``)
so that encoding to the wire is a rename-free walk. Times are integers in milliseconds since the
epoch, UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


class LifecycleStage(str, enum.Enum):
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus(str, enum.Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class ViewType(str, enum.Enum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"


class Metric(NamedTuple):
    """One point of a metric's time series. A NamedTuple: millions are built on ingest and reads."""

    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    key: str
    value: str


@dataclass(slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    dataset: Dataset
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RunData:
    metrics: dict[str, Metric] = field(default_factory=dict)  # latest value per key
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: list[DatasetInput] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.info.run_id


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One entry of an artifact listing: ``path`` relative to the listed root."""

    path: str
    is_dir: bool
    file_size: int | None = None


@dataclass(frozen=True, slots=True)
class PagedList:
    """A page of results and the opaque token for the next one (None on the last page)."""

    items: list  # type: ignore[type-arg]
    next_page_token: str | None = None


# --- model registry ---


class ModelStage(str, enum.Enum):
    """MLflow's model version stages (its spelling: "None" is a stage, not a missing value)."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


class ModelVersionStatus(str, enum.Enum):
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change. Without authentication (the embedded store, a server without
    ``--auth``) ``name`` is what the client stated (``CAIRN_USER``, ``--user`` or the OS user) and
    ``verified`` is False. On a server with ``--auth`` it is the signed-in user: ``verified`` True,
    ``principal_id`` "user:7" or "token:<id>", and ``method`` "password" or "token"."""

    name: str
    verified: bool = False
    principal_id: str | None = None
    method: str | None = None


@dataclass(slots=True)
class ModelVersion:
    """One registered version. ``source`` is what the client gave (``runs:/<run>/model``,
    ``models:/...``, ``mlflow-artifacts:/...`` or a remote store URI such as ``s3://...``);
    ``storage_location`` is where MLflow's download URI points when that differs from the source
    (a ``models:/`` source, resolved when the version was registered).

    ``files_location`` is the ``mlflow-artifacts:/`` location Cairn reads the files from;
    ``external`` is True when they are outside Cairn's store (a remote URI, or a run or logged
    model this server does not hold), which Cairn never fetches. A version rebuilt from MLflow's
    wire message carries neither (``Client.resolve_model_version`` does).
    ``artifacts_retained_until`` is set while the version is Archived."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = ModelStage.NONE.value
    description: str = ""
    source: str = ""
    run_id: str | None = None
    run_link: str | None = None
    status: str = ModelVersionStatus.READY.value
    status_message: str | None = None
    user_id: str = ""
    model_id: str | None = None
    artifacts_retained_until: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    storage_location: str | None = None
    files_location: str | None = None
    external: bool = False


@dataclass(slots=True)
class RegisteredModel:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version
    latest_versions: list[ModelVersion] = field(default_factory=list)  # newest per stage


@dataclass(frozen=True, slots=True)
class MetricRequirement:
    """A gate on the source run's latest metric value, e.g. ``auc >= 0.8``."""

    key: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.threshold:g}"


@dataclass(frozen=True, slots=True)
class SliceRequirement:
    """A gate on slice metrics of the source run: ``auc >= 0.8`` in every slice of at least
    ``min_rows`` rows (see ``cairn.tracking.slice_metrics``)."""

    metric: str
    op: str
    threshold: float
    min_rows: int = 0

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g} for every slice with >= {self.min_rows} rows"


@dataclass(frozen=True, slots=True)
class Policy:
    """A model's promotion policy. The default instance allows every transition MLflow allows."""

    allow_direct_to_production: bool = True
    require_staging_first: bool = False
    min_staging_ms: int = 0
    required_metrics: tuple[MetricRequirement, ...] = ()
    require_signature: bool = False
    require_input_example: bool = False
    require_signoff: bool = False
    gated_stages: tuple[str, ...] = (ModelStage.PRODUCTION.value,)
    retention_days: int = 30
    # With require_signoff: the approver must not be the user who created the version either.
    signoff_excludes_creator: bool = False
    # Evidence gates (``cairn.registry.evidence_gates``), on entering a gated stage.
    # Latency: the newest benchmark's p99 within the version's budget and/or under a fixed bound.
    latency_within_budget: bool = False
    max_latency_p99_ms: float | None = None
    # Shadow: agreement with the primary (fraction) over at least this many paired requests;
    # numeric outputs agree when |difference| <= shadow_tolerance (0: the same label).
    min_shadow_agreement: float | None = None
    min_shadow_pairs: int = 0
    shadow_tolerance: float = 0.0
    # Canary: error rate at most this much (fraction) over the primary's; p99 at most this many
    # times the primary's; over at least this many canary requests.
    max_canary_error_increase: float | None = None
    max_canary_p99_ratio: float | None = None
    min_canary_requests: int = 0
    # Outcomes: the candidate's mean outcome at most this much below the primary's (higher is
    # better), each side over at least this many outcomes.
    max_outcome_drop: float | None = None
    min_outcomes: int = 0
    # The prediction log read: the last evidence_window_ms (0: all of it).
    evidence_window_ms: int = 0
    required_slices: tuple[SliceRequirement, ...] = ()
    # The stability window: a replaced Production version waits on standby (kept warm for rollback)
    # this long before it is archived; 0 archives it at once (MLflow's behaviour).
    archive_previous_after_ms: int = 0


@dataclass(frozen=True, slots=True)
class GateResult:
    """One policy check of one transition: what was observed against what was required."""

    name: str
    passed: bool
    observed: str
    threshold: str
    hint: str = ""
    # The numbers an evidence gate saw (counts, rates, window), kept in the audit trail.
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An append-only registry event. For stage changes ``from_value``/``to_value`` are stages;
    for alias moves they are version numbers and ``alias`` names the alias."""

    event_id: int
    model_name: str
    version: int | None
    action: str
    from_value: str | None
    to_value: str | None
    alias: str | None
    actor: str
    actor_verified: bool
    timestamp: int
    reason: str | None = None
    gate_results: tuple[GateResult, ...] = ()
    details: dict[str, object] = field(default_factory=dict)
    actor_id: str | None = None
    actor_method: str | None = None


@dataclass(slots=True)
class TransitionRequest:
    """A transition waiting for sign-off by a user other than the requester."""

    request_id: int
    model_name: str
    version: int
    from_stage: str
    to_stage: str
    requested_by: str
    requested_time: int
    status: str
    reason: str | None = None
    requested_by_verified: bool = False
    archive_existing_versions: bool = False
    decided_by: str | None = None
    decided_time: int | None = None
    decision_comment: str | None = None
    gate_results: tuple[GateResult, ...] = ()


@dataclass(slots=True)
class TransitionOutcome:
    """What a promotion, approval or rollback did: ``applied`` False means a sign-off request
    is pending (``request``) and the stage did not change."""

    model_version: ModelVersion
    applied: bool
    gate_results: tuple[GateResult, ...] = ()
    request: TransitionRequest | None = None
    archived_versions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelineInterval:
    """[start, end) during which ``version`` held a stage (kind "stage") or an alias (kind
    "alias"); ``end`` is None while it still does."""

    kind: str
    label: str
    version: int
    start: int
    end: int | None
    started_by: str
    started_by_verified: bool = False
    start_reason: str | None = None
    ended_by: str | None = None
    approved_by: str | None = None

    def contains(self, at: int) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(slots=True)
class Webhook:
    """An outbound subscription to registry events. The secret is never part of this record."""

    webhook_id: str
    name: str
    url: str
    events: list[str]
    status: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One event sent (or being sent) to one webhook: the delivery log's row."""

    delivery_id: int
    webhook_id: str
    event: str
    status: str
    attempts: int
    created_time: int
    status_code: int | None = None
    error: str | None = None
    last_attempt_time: int | None = None
    next_attempt_time: int | None = None


@dataclass(frozen=True, slots=True)
class CollectedArtifacts:
    """One archived version the retention collector looked at: its files were deleted (or would
    be, in a dry run) at ``deleted_time``, or kept for ``kept_reason``."""

    model_name: str
    version: int
    source: str
    retained_until: int
    deleted_time: int | None = None
    kept_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Which runs of an experiment keep their artifacts: the ``keep_last`` latest (by start time)
    and those started less than ``keep_days`` ago. Either may be None, not both; the artifacts of
    every other run are collected by ``cairn gc``, unless production may still need them."""

    experiment_id: str
    keep_last: int | None = None
    keep_days: int | None = None
    updated_time: int | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class RetentionEvent:
    """One entry of the retention trail: files deleted (``artifacts_deleted``), a deleted run
    purged (``run_purged``), or a policy set or cleared; ``location`` is the store path that went."""

    event_id: int
    timestamp: int
    action: str
    actor: str
    actor_verified: bool
    policy: str
    experiment_id: str | None = None
    run_id: str | None = None
    location: str | None = None
    files: int | None = None
    bytes: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CollectedRun:
    """One folder of a run that garbage collection looked at: deleted (or would be, in a dry run)
    at ``deleted_time`` with ``files`` files of ``bytes`` bytes, or kept for ``kept_reason``.
    ``action`` is ``artifacts_deleted`` (an experiment's retention policy) or ``run_purged`` (a
    deleted run past its grace period: its metadata goes too); ``policy`` says which rule."""

    action: str
    experiment_id: str
    run_id: str
    run_name: str
    location: str | None
    policy: str
    files: int | None = None
    bytes: int | None = None
    deleted_time: int | None = None
    kept_reason: str | None = None


@dataclass(frozen=True, slots=True)
class GcReport:
    """What ``cairn gc`` did (or would do): run folders, archived versions' files, and the bytes
    of storage freed (in a dry run, the content no remaining artifact would share)."""

    dry_run: bool
    runs: tuple[CollectedRun, ...] = ()
    versions: tuple[CollectedArtifacts, ...] = ()
    bytes_freed: int = 0


@dataclass(frozen=True)
class Prediction:
    """One logged prediction. ``run_id`` (the version's source run) and ``outcome`` are filled
    in when read back. ``flags`` lists the features that were outside what the version was trained
    on (``{"feature", "kind", "value", "expected"}`` each); None when there were none."""

    prediction_id: str
    request_id: str
    row_index: int
    timestamp: int
    model_name: str
    version: int
    arm: str
    features: Any
    output: Any
    latency_ms: float
    error: str | None = None
    outcome: float | None = None
    run_id: str | None = None
    flags: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prediction:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# --- authentication ---


@dataclass(frozen=True, slots=True)
class User:
    """A person (signs in with a password) or a service account (``is_service``: tokens only).
    ``permissions`` lists the user's grants when the record was loaded with them."""

    user_id: int
    username: str
    is_admin: bool
    is_service: bool
    creation_timestamp: int
    last_updated_timestamp: int
    permissions: tuple[ResourceGrant, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceGrant:
    """One user's permission on one experiment (``resource_key`` = experiment id) or registered
    model (``resource_key`` = its name as of loading)."""

    resource_type: str
    resource_key: str
    user_id: int
    username: str
    permission: str


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token's record; its secret is shown once at creation and stored only as a hash."""

    token_id: str
    user_id: int
    username: str
    name: str
    scopes: tuple[str, ...]
    creation_timestamp: int
    expiration_timestamp: int
    created_by: str
    last_used_timestamp: int | None = None
    revoked_timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One change to users, tokens or grants, from the append-only auth log (no secrets)."""

    event_id: int
    timestamp: int
    action: str
    actor: str
    actor_id: str | None
    actor_method: str | None
    target: str | None
    details: dict[str, object] = field(default_factory=dict)
