"""Prediction log rows: bulk insert, one by id, a model's rows over time, outcomes.

Features and outputs are stored as compact JSON text (orjson), so any JSON value a model takes
or returns fits one column on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select

from cairn.entities import Prediction

from . import dialect
from .schema import prediction_outcomes, predictions

Tx = Connection
_FETCH = 2000


def insert_predictions(conn: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Insert prediction rows (dicts of the table's columns, ``features``/``output`` as values).
    A row whose id is stored already is skipped: a writer retrying a batch whose answer it lost
    (the server's worker died after committing) neither fails nor stores a row twice."""
    if not rows:
        return
    dialect.insert_ignore(conn, predictions, [
        {**row, "features": _dump(row.get("features")), "output": _dump(row.get("output")),
         "flags": _dump(row.get("flags") or None)} for row in rows
    ], ["prediction_id"])


def get_prediction(conn: Tx, prediction_id: str) -> Prediction | None:
    row = conn.execute(_select().where(predictions.c.prediction_id == prediction_id)).first()
    return _from_row(row) if row is not None else None


def iter_predictions(conn: Tx, model_name: str, since: int | None, until: int | None, version: int | None,
                     arm: str | None, newest_first: bool = True) -> Iterator[Prediction]:
    """A model's rows in time order (newest first by default), read in chunks from one cursor."""
    p = predictions.c
    query = _select().where(p.model_name == model_name)
    if since is not None:
        query = query.where(p.timestamp >= since)
    if until is not None:
        query = query.where(p.timestamp < until)
    if version is not None:
        query = query.where(p.version == version)
    if arm is not None:
        query = query.where(p.arm == arm)
    order = (p.timestamp.desc(), p.prediction_id.desc()) if newest_first else (p.timestamp, p.prediction_id)
    result = conn.execute(query.order_by(*order).execution_options(yield_per=_FETCH))
    try:
        for row in result:
            yield _from_row(row)
    finally:
        # A caller that stops early (enough rows) must not leave PostgreSQL's server-side cursor open.
        result.close()


def recent_flags(conn: Tx, model_name: str, since: int | None, until: int | None,
                 limit: int) -> list[tuple[int, Any]]:
    """(version, flags or None) of the model's newest ``limit`` rows in the window: two small
    columns, so counting range flags never decodes features or outputs."""
    p = predictions.c
    query = select(p.version, p.flags).where(p.model_name == model_name)
    if since is not None:
        query = query.where(p.timestamp >= since)
    if until is not None:
        query = query.where(p.timestamp < until)
    rows = conn.execute(query.order_by(p.timestamp.desc(), p.prediction_id.desc()).limit(limit))
    return [(int(version), orjson.loads(flags) if flags is not None else None) for version, flags in rows]


def get_any(conn: Tx, model_name: str) -> str | None:
    """The id of one logged prediction of ``model_name``, if any."""
    p = predictions.c
    found = conn.execute(select(p.prediction_id).where(p.model_name == model_name).limit(1)).scalar()
    return str(found) if found is not None else None


def upsert_outcome(conn: Tx, prediction_id: str, value: float, now: int, recorded_by: str) -> None:
    dialect.upsert(conn, prediction_outcomes, [{"prediction_id": prediction_id, "value": value, "timestamp": now,
                                                "recorded_by": recorded_by}],
                   ["prediction_id"], ["value", "timestamp", "recorded_by"])


def _select():  # type: ignore[no-untyped-def]
    p, o = predictions.c, prediction_outcomes.c
    return select(p.prediction_id, p.request_id, p.row_index, p.timestamp, p.model_name, p.version, p.arm,
                  p.features, p.output, p.latency_ms, p.error, p.flags, o.value.label("outcome")).select_from(
        predictions.outerjoin(prediction_outcomes, o.prediction_id == p.prediction_id))


def _dump(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _from_row(row) -> Prediction:  # type: ignore[no-untyped-def]
    return Prediction(
        row.prediction_id, row.request_id, row.row_index, row.timestamp, row.model_name, row.version, row.arm,
        orjson.loads(row.features) if row.features is not None else None,
        orjson.loads(row.output) if row.output is not None else None,
        row.latency_ms, row.error, row.outcome,
        flags=orjson.loads(row.flags) if row.flags is not None else None,
    )
