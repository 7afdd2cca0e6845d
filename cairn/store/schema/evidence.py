"""Version evidence (migration 0010): serving requirements and benchmark results of a model
version, one JSON document per row; the newest row of a kind is the one that counts. No foreign
key: deleting a version or model removes its rows in the same transaction."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from .base import NAME_LENGTH, metadata

KIND_LENGTH = 32

version_evidence = Table(
    "version_evidence",
    metadata,
    Column("evidence_id", Integer, primary_key=True, autoincrement=True),
    Column("registered_model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(KIND_LENGTH), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_time", BigInteger, nullable=False),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    # Serves "the newest requirements / benchmark of this version".
    Index("ix_version_evidence_latest", "registered_model_id", "version", "kind", "evidence_id"),
)
