"""The runs table of one experiment: a window of rows, child runs, groups with aggregates, and the
columns there are to choose from.

A table view is a ``TableQuery``: the filter (run search's grammar), one order clause, the chosen
columns (``metrics.acc``, ``params.lr``, ``tags.team``, ``attributes.run_id``) and optionally a param
or tag to group by. The web UI's grid and ``GET /api/cairn/v1/runs/table`` read through here, so
both page and window the same way, in SQL:

* ``table_rows`` gives rows ``offset``..``offset + limit`` of a list: the top level (a run whose
  parent also matches is left out there and listed under it), one run's children
  (``mlflow.parentRunId``, MLflow's nesting tag), or the runs of one group;
* ``table_groups`` gives groups with the run count and min, mean and max of every chosen metric;
* ``table_keys`` lists the metric, param and tag keys the experiment's runs use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cairn.entities import RunInfo
from cairn.errors import InvalidFilter, InvalidParameter
from cairn.store import run_table as table_sql
from cairn.store.database import Database
from cairn.store.search_grammar import And, Comparison, Expr, OrderKey, parse_filter, parse_order_by

from .experiments import get_experiment
from .runs import PARENT_RUN_TAG
from .validation import parse_experiment_id, parse_run_id, validate_key

MAX_TABLE_ROWS = 500  # rows per window
MAX_TABLE_COLUMNS = 100  # chosen columns per view
MAX_GROUP_METRICS = 20  # metrics aggregated per group
MAX_TABLE_GROUPS = 500  # groups per window
MAX_TABLE_KEYS = 2000  # keys of each kind offered as columns
MAX_TABLE_OFFSET = 10_000_000

ENTITIES = ("metrics", "params", "tags", "attributes")
# Run attributes a column can show: column name -> RunInfo field.
ATTRIBUTES = {
    "run_id": "run_id", "run_name": "run_name", "status": "status", "user_id": "user_id",
    "start_time": "start_time", "end_time": "end_time", "artifact_uri": "artifact_uri",
}  # fmt: skip
_KEYED: dict[str, Literal["metric", "param", "tag"]] = {"metrics": "metric", "params": "param", "tags": "tag"}


@dataclass(frozen=True)
class Column:
    """One column of the table, written ``entity.key`` (``metrics.val loss``: the key is the rest)."""

    entity: str
    key: str

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.key}"


def parse_column(text: str) -> Column:
    """``metrics.acc`` -> Column("metrics", "acc"); InvalidParameter for anything else."""
    entity, dot, key = text.partition(".")
    if not dot or entity not in ENTITIES or not key:
        raise InvalidParameter(
            f"Invalid column '{text[:300]}': write entity.key with entity one of {', '.join(ENTITIES)} "
            "(e.g. metrics.acc, params.lr, tags.team, attributes.run_id)."
        )
    if entity == "attributes" and key not in ATTRIBUTES:
        raise InvalidParameter(f"Unknown attribute column '{key}'. Valid: {', '.join(ATTRIBUTES)}.")
    if entity != "attributes":
        validate_key(_KEYED[entity], key, "column")
    return Column(entity, key)


@dataclass(frozen=True)
class TableQuery:
    """A view of one experiment's runs. A bad order, column or grouping raises InvalidParameter
    here; a bad filter raises InvalidFilter (with the bad token's position) when the query is used."""

    experiment_id: str
    filter: str = ""
    order: str = ""
    columns: tuple[Column, ...] = ()
    group: Column | None = None

    def __post_init__(self) -> None:
        if len(self.columns) > MAX_TABLE_COLUMNS:
            raise InvalidParameter(f"At most {MAX_TABLE_COLUMNS} columns, got {len(self.columns)}.")
        if self.group is not None and self.group.entity not in ("params", "tags"):
            raise InvalidParameter(f"Group by a param or a tag (params.KEY or tags.KEY), not '{self.group.name}'.")
        try:
            parse_order_by([self.order] if self.order.strip() else None)
        except InvalidFilter as exc:  # InvalidFilter's position is for the filter box, not the order
            raise InvalidParameter(exc.message) from None

    @classmethod
    def parse(
        cls, experiment_id: str, filter: str = "", order: str = "", columns: Sequence[str] = (), group: str = ""
    ) -> TableQuery:
        """A query from its text form (a URL's ``filter``, ``order``, ``cols`` and ``group``); the
        filter and order are parsed when used, so their errors carry the bad token's position."""
        if len(columns) > MAX_TABLE_COLUMNS:
            raise InvalidParameter(f"At most {MAX_TABLE_COLUMNS} columns, got {len(columns)}.")
        chosen = tuple(dict.fromkeys(parse_column(c) for c in columns if c))
        return cls(experiment_id, filter.strip(), order.strip(), chosen, parse_column(group) if group else None)

    @property
    def metric_columns(self) -> list[Column]:
        return [c for c in self.columns if c.entity == "metrics"]


@dataclass(frozen=True)
class TableRow:
    info: RunInfo
    values: list[Any]  # one per column: a float for metrics (NaN kept), text, an int time, or None
    children: int  # child runs in the list (0 when none, or inside a group)


@dataclass(frozen=True)
class TableRows:
    rows: list[TableRow]
    total: int | None  # rows the list holds; counted only for the first window (offset 0)
    matched: int | None  # runs the filter matches, nested or not; also only at offset 0


@dataclass(frozen=True)
class Aggregate:
    min: float | None
    mean: float | None
    max: float | None
    runs: int  # runs of the group that have the metric


@dataclass(frozen=True)
class TableGroup:
    value: str | None  # None: the runs without the key
    runs: int
    aggregates: list[Aggregate]  # one per metric column, in column order


@dataclass(frozen=True)
class TableGroups:
    groups: list[TableGroup]
    total: int | None
    matched: int | None


@dataclass(frozen=True)
class TableKeys:
    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=lambda: list(ATTRIBUTES))
    truncated: bool = False  # some kind had more than MAX_TABLE_KEYS keys


def _window(offset: int, limit: int, most: int) -> None:
    if not 0 <= offset <= MAX_TABLE_OFFSET:
        raise InvalidParameter(f"offset must be between 0 and {MAX_TABLE_OFFSET}, got {offset}.")
    if not 1 <= limit <= most:
        raise InvalidParameter(f"limit must be between 1 and {most}, got {limit}.")


def _scope(query: TableQuery, *extra: Expr) -> tuple[table_sql.Scope, list[OrderKey]]:
    """The runs ``query`` lists, narrowed by ``extra`` tests (a parent's children, a group)."""
    experiment = parse_experiment_id(query.experiment_id)
    parts = [e for e in (parse_filter(query.filter or None), *extra) if e is not None]
    expr = None if not parts else parts[0] if len(parts) == 1 else And(tuple(parts))
    order = parse_order_by([query.order] if query.order.strip() else None)
    return table_sql.Scope([experiment], expr), order


def _in_group(group: Column, value: str | None) -> Comparison:
    entity = _KEYED[group.entity]
    return Comparison(entity, group.key, "IS NULL", None) if value is None else Comparison(entity, group.key, "=", value)


def table_rows(
    db: Database, query: TableQuery, offset: int = 0, limit: int = 100,
    parent: str | None = None, group_value: str | None = None, in_group: bool = False,
) -> TableRows:  # fmt: skip
    """A window of the list: top level by default, ``parent``'s children, or with ``in_group`` the
    runs of ``query.group`` whose value is ``group_value`` (None: the runs without it)."""
    _window(offset, limit, MAX_TABLE_ROWS)
    extra: list[Expr] = []
    nest: str | None = PARENT_RUN_TAG
    if parent is not None:
        extra.append(Comparison("tag", PARENT_RUN_TAG, "=", parse_run_id(parent)))
        nest = None
    if in_group:
        if query.group is None:
            raise InvalidParameter("Name the group (params.KEY or tags.KEY) whose runs to list.")
        extra.append(_in_group(query.group, group_value))
        nest = None
    scope, order = _scope(query, *extra)
    everything, _ = _scope(query)
    get_experiment(db, query.experiment_id)
    keyed = [(_KEYED[c.entity], c.key) for c in query.columns if c.entity in _KEYED]
    with db.read() as tx:
        if nest is not None and not table_sql.has_nested_runs(tx, scope.experiment_ids, nest):
            nest = None
        ids = table_sql.page_run_ids(tx, scope, order, limit, offset, nest)
        infos = table_sql.load_infos(tx, ids)
        values = table_sql.column_values(tx, ids, keyed)
        # Children that match the filter, whichever list their parent is shown in; none in a group.
        children = {} if in_group else table_sql.child_counts(tx, everything, PARENT_RUN_TAG, ids)
        total = matched = None
        if offset == 0:
            total = table_sql.count_runs(tx, scope, nest)
            matched = total if nest is None else table_sql.count_runs(tx, scope)
    rows = []
    for run_id in ids:
        info = _info(infos[run_id])
        cells = [_cell(info, values, c) for c in query.columns]
        rows.append(TableRow(info, cells, children.get(run_id, 0)))
    return TableRows(rows, total, matched)


def _info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_id, experiment_id=str(row.experiment_id), run_name=row.name, user_id=row.user_id,
        status=row.status, start_time=row.start_time, end_time=row.end_time, artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )  # fmt: skip


def _cell(info: RunInfo, values: dict[tuple[str, Any, str], Any], column: Column) -> Any:
    if column.entity == "attributes":
        return getattr(info, ATTRIBUTES[column.key])
    return values.get((info.run_id, _KEYED[column.entity], column.key))


def table_groups(db: Database, query: TableQuery, offset: int = 0, limit: int = 100) -> TableGroups:
    """A window of ``query.group``'s groups, ordered by the mean of the sorted metric when the view
    is sorted by a metric column, else by value; each with min, mean and max per metric column."""
    _window(offset, limit, MAX_TABLE_GROUPS)
    if query.group is None:
        raise InvalidParameter("Name the param or tag to group by (params.KEY or tags.KEY).")
    metrics = [c.key for c in query.metric_columns]
    if len(metrics) > MAX_GROUP_METRICS:
        raise InvalidParameter(f"At most {MAX_GROUP_METRICS} metrics per group, got {len(metrics)}.")
    scope, order = _scope(query)
    by_metric, ascending = _group_order(order, query.group, metrics)
    entity = _KEYED[query.group.entity]
    get_experiment(db, query.experiment_id)
    with db.read() as tx:
        found = table_sql.group_rows(
            tx, scope, entity, query.group.key, metrics, by_metric, ascending, limit, offset
        )  # fmt: skip
        total = matched = None
        if offset == 0:
            total = table_sql.count_groups(tx, scope, entity, query.group.key)
            matched = table_sql.count_runs(tx, scope)
    groups = [TableGroup(g.value, g.runs, [Aggregate(*a) for a in g.aggregates]) for g in found]
    return TableGroups(groups, total, matched)


def _group_order(order: list[OrderKey], group: Column, metrics: list[str]) -> tuple[int | None, bool]:
    if not order:
        return None, True
    first = order[0]
    if first.entity == "metric" and first.key in metrics:
        return metrics.index(first.key), first.ascending
    if first.entity == _KEYED[group.entity] and first.key == group.key:
        return None, first.ascending
    return None, True


def table_keys(db: Database, experiment_id: str) -> TableKeys:
    """The keys the experiment's active runs use, sorted; each kind capped at MAX_TABLE_KEYS."""
    experiment = parse_experiment_id(experiment_id)
    get_experiment(db, experiment)
    with db.read() as tx:
        found = {
            kind: table_sql.experiment_keys(tx, experiment, kind, MAX_TABLE_KEYS + 1)
            for kind in ("metric", "param", "tag")
        }  # fmt: skip
    truncated = any(len(keys) > MAX_TABLE_KEYS for keys in found.values())
    metrics, params, tags = (found[k][:MAX_TABLE_KEYS] for k in ("metric", "param", "tag"))
    return TableKeys(metrics, params, tags, truncated=truncated)
