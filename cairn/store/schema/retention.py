"""The retention tables (migration 0007): each experiment's retention policy, and the append-only
trail of what retention and garbage collection deleted (and of policy changes).

A ``retention_events`` row of a deletion names the place in the artifact store that went
(``location``, a store path such as ``3/<run_id>/artifacts``), so a later read of any file below
it can say when it went and by which policy; the database refuses updates and deletes of the trail.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from .base import NAME_LENGTH, metadata

LOCATION_LENGTH = 1000

retention_policies = Table(
    "retention_policies",
    metadata,
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), primary_key=True),
    Column("keep_last", Integer, nullable=True),
    Column("keep_days", Integer, nullable=True),
    Column("updated_time", BigInteger, nullable=False),
    Column("updated_by", String(NAME_LENGTH), nullable=False),
)

retention_events = Table(
    "retention_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(NAME_LENGTH), nullable=False),
    Column("actor_verified", Boolean, nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("experiment_id", Integer, nullable=True),
    Column("run_id", String(32), nullable=True),
    Column("location", String(LOCATION_LENGTH), nullable=True),
    Column("policy", Text, nullable=False),
    Column("files", Integer, nullable=True),
    Column("bytes", BigInteger, nullable=True),
    Column("details", Text, nullable=True),
    # Serves "why is this artifact missing": the deletions at any ancestor of a location.
    Index("ix_retention_events_location", "location"),
    # Serves a run's deletions (already collected? purged?) and an experiment's trail.
    Index("ix_retention_events_run", "run_id"),
    Index("ix_retention_events_experiment", "experiment_id", "event_id"),
)
