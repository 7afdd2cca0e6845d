"""Experiments' retention policies: one row per experiment that has one."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from cairn.entities import RetentionPolicy

from . import dialect
from .schema import experiments, retention_policies

Tx = Connection


def get_policy(conn: Tx, experiment_id: int) -> RetentionPolicy | None:
    row = conn.execute(select(retention_policies).where(retention_policies.c.experiment_id == experiment_id)).first()
    return _from_row(row) if row is not None else None


def put_policy(conn: Tx, policy: RetentionPolicy) -> None:
    assert policy.updated_time is not None and policy.updated_by is not None
    dialect.upsert(
        conn, retention_policies,
        [{"experiment_id": int(policy.experiment_id), "keep_last": policy.keep_last, "keep_days": policy.keep_days,
          "updated_time": policy.updated_time, "updated_by": policy.updated_by}],
        key_columns=("experiment_id",), update_columns=("keep_last", "keep_days", "updated_time", "updated_by"),
    )


def delete_policy(conn: Tx, experiment_id: int) -> int:
    return conn.execute(delete(retention_policies).where(retention_policies.c.experiment_id == experiment_id)).rowcount


def policies_with_names(conn: Tx) -> list[tuple[RetentionPolicy, str]]:
    """Every policy with its experiment's name, by experiment id."""
    p, e = retention_policies.c, experiments.c
    stmt = (select(retention_policies, e.name).join(experiments, e.experiment_id == p.experiment_id)
            .order_by(p.experiment_id))
    return [(_from_row(row), row.name) for row in conn.execute(stmt)]


def _from_row(row) -> RetentionPolicy:  # type: ignore[no-untyped-def]
    return RetentionPolicy(str(row.experiment_id), row.keep_last, row.keep_days, row.updated_time, row.updated_by)
