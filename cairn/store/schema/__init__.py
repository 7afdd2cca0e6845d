"""The metadata schema as SQLAlchemy Core tables.

Queries in ``store/`` are written against these objects; the database itself is created and
upgraded only by the Alembic migrations in ``store/migrations`` (these modules must match them,
and ``tests/store/test_migrations.py`` checks that they do).

One module per part of the schema, all on the one ``metadata`` of ``base.py``: ``tracking.py``
(experiments, runs, metrics and their block summaries, logged models), ``inputs.py`` (datasets and runs' uses of them),
``registry.py`` (models, versions, audit trail, webhooks), ``serving.py`` (deployments and
the prediction log), ``auth.py`` (users, API tokens, grants, their change log, web sessions),
``retention.py`` (retention policies and the trail of deletions), ``evidence.py`` (serving
requirements and benchmarks of versions) and ``imports.py`` (what an import
from another tracker started and completed). Importing the package registers
every table; callers import tables from it.

Indexes are named after the query they serve.
"""

from __future__ import annotations

from .auth import api_tokens, auth_events, login_failures, resource_permissions, users, web_sessions
from .base import (
    EXPERIMENT_NAME_LENGTH,
    KEY_LENGTH,
    NAME_LENGTH,
    PARAM_VALUE_LENGTH,
    TAG_VALUE_LENGTH,
    metadata,
)
from .evidence import version_evidence
from .imports import import_marks
from .inputs import datasets, run_inputs
from .registry import (
    audit_events,
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
    registry_settings,
    transition_requests,
    webhook_deliveries,
    webhooks,
)
from .retention import retention_events, retention_policies
from .serving import ARM_LENGTH, ID_LENGTH, deployments, prediction_outcomes, predictions
from .tracking import (
    experiment_tags,
    experiments,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    metric_blocks,
    metrics,
    params,
    run_logged_models,
    runs,
    tags,
)

__all__ = [
    "ARM_LENGTH", "EXPERIMENT_NAME_LENGTH", "ID_LENGTH", "KEY_LENGTH", "NAME_LENGTH", "PARAM_VALUE_LENGTH",
    "TAG_VALUE_LENGTH", "api_tokens", "audit_events", "auth_events", "datasets", "deployments", "experiment_tags",
    "experiments", "import_marks", "latest_metrics", "logged_model_metrics", "logged_model_params", "logged_model_tags",
    "logged_models", "login_failures", "metadata", "metric_blocks", "metrics", "model_aliases", "model_version_tags",
    "model_versions", "params", "prediction_outcomes", "predictions", "registered_model_tags", "registered_models",
    "registry_settings", "resource_permissions", "retention_events", "retention_policies", "run_inputs",
    "run_logged_models", "runs", "tags", "transition_requests", "users", "version_evidence", "web_sessions",
    "webhook_deliveries", "webhooks",
]
