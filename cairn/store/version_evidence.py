"""Version evidence rows: JSON documents (serving requirements, benchmark results) per version."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, select

from .schema import version_evidence

Tx = Connection


class EvidenceRow(NamedTuple):
    evidence_id: int
    version: int
    kind: str
    body: str
    created_time: int
    created_by: str


def add_evidence(conn: Tx, key: int, version: int, kind: str, body: str, now: int, created_by: str) -> None:
    conn.execute(insert(version_evidence).values(registered_model_id=key, version=version, kind=kind, body=body,
                                                 created_time=now, created_by=created_by))


def latest_evidence(conn: Tx, key: int, version: int, kind: str) -> EvidenceRow | None:
    e = version_evidence.c
    row = conn.execute(
        select(e.evidence_id, e.version, e.kind, e.body, e.created_time, e.created_by)
        .where(e.registered_model_id == key, e.version == version, e.kind == kind)
        .order_by(e.evidence_id.desc()).limit(1)
    ).first()
    return EvidenceRow(*row) if row is not None else None


def delete_evidence(conn: Tx, key: int, version: int | None = None) -> None:
    """Remove a version's rows (``version`` None: every version of the model)."""
    e = version_evidence.c
    stmt = delete(version_evidence).where(e.registered_model_id == key)
    if version is not None:
        stmt = stmt.where(e.version == version)
    conn.execute(stmt)
