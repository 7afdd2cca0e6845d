"""The JSON the runs grid reads: windows of rows and of groups, as ``GET /api/cairn/v1/runs/table``
and ``/runs/groups`` answer them and as the runs page embeds its first window (so the grid starts
without a second request). One shape, defined here for both.

Non-finite metric values are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, as in every
JSON document Cairn writes (``cairn.web.json_floats``).
"""

from __future__ import annotations

from typing import Any

import orjson

from cairn.tracking.run_table import TableGroups, TableQuery, TableRow, TableRows
from cairn.web.json_floats import quote_non_finite

GRID_WINDOW = 100  # rows (or groups) per window the grid asks for; the API's default limit


def row_to_wire(row: TableRow) -> dict[str, Any]:
    info = row.info
    return {
        "run_id": info.run_id, "run_name": info.run_name, "status": info.status, "user_id": info.user_id,
        "start_time": info.start_time, "end_time": info.end_time, "children": row.children,
        "values": row.values,
    }  # fmt: skip


def rows_to_wire(query: TableQuery, offset: int, found: TableRows) -> dict[str, Any]:
    return {
        "offset": offset, "total": found.total, "matched": found.matched,
        "columns": [c.name for c in query.columns], "rows": [row_to_wire(r) for r in found.rows],
    }  # fmt: skip


def groups_to_wire(query: TableQuery, offset: int, found: TableGroups) -> dict[str, Any]:
    return {
        "offset": offset, "total": found.total, "matched": found.matched,
        "group": query.group.name if query.group else None,
        "metrics": [c.name for c in query.metric_columns],
        "groups": [
            {"value": g.value, "runs": g.runs, "aggregates": [[a.min, a.mean, a.max, a.runs] for a in g.aggregates]}
            for g in found.groups
        ],
    }  # fmt: skip


def embedded_json(payload: dict[str, Any]) -> str:
    """``payload`` as JSON safe inside ``<script type="application/json">``: every ``<`` is written
    ``\\u003c`` (it can only occur inside strings), so no ``</script>`` can close the element."""
    return orjson.dumps(quote_non_finite(payload)).decode().replace("<", "\\u003c")
