"""The serving tables (migration 0004): deployments (traffic configuration per registered model)
and the prediction log with the outcomes joined back to it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from .base import NAME_LENGTH, metadata

ID_LENGTH = 32
ARM_LENGTH = 32

# One row per registered model that has a traffic configuration; ``revision`` counts changes so
# serving processes can tell a new configuration from the one they run. No foreign key: the
# model's deletion removes the row in the same transaction (store.registry_models.delete_model).
deployments = Table(
    "deployments",
    metadata,
    Column("registered_model_id", Integer, primary_key=True, autoincrement=False),
    Column("config", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_time", BigInteger, nullable=False),
    Column("updated_by", String(NAME_LENGTH), nullable=False),
)

# One row per predicted row and arm. Shadow rows share ``request_id`` and ``row_index`` with the
# primary row they copy, which is how agreement between arms is measured.
predictions = Table(
    "predictions",
    metadata,
    Column("prediction_id", String(ID_LENGTH), primary_key=True),
    Column("request_id", String(ID_LENGTH), nullable=False),
    Column("row_index", Integer, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("model_name", String(NAME_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("arm", String(ARM_LENGTH), nullable=False),
    Column("features", Text, nullable=True),
    Column("output", Text, nullable=True),
    Column("latency_ms", Float, nullable=False),
    Column("error", Text, nullable=True),
    # (migration 0011) The features outside the version's expected ranges, as JSON; NULL: none.
    Column("flags", Text, nullable=True),
    # Serves `predictions list NAME --since` and `deployments compare NAME`.
    Index("ix_predictions_model_time", "model_name", "timestamp"),
    # Serves the shadow-to-primary join of one request's rows.
    Index("ix_predictions_request", "request_id", "row_index"),
)

prediction_outcomes = Table(
    "prediction_outcomes",
    metadata,
    Column("prediction_id", String(ID_LENGTH), primary_key=True),
    Column("value", Float, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("recorded_by", String(NAME_LENGTH), nullable=False),
)
