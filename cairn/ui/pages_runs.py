"""The runs of one experiment: a grid over ``cairn.tracking.run_table``, usable at any number of runs.

The whole view lives in the query string (``filter``, ``order``, ``cols``, ``group``, and ``page``
without JavaScript), so a link or a reload shows the same table. The server renders the first page
of rows (or of groups) as a plain table with a pager, which works without JavaScript; the grid
island (``static/runs_grid.js``) then takes the table over: it keeps only the visible rows in the
DOM, fetches windows of rows from ``GET /api/cairn/v1/runs/table`` as they scroll into view, nests
child runs, expands groups and gathers runs to compare. A filter that does not parse is shown
inline with its message and a marker under the offending token, by the server and the island alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Experiment
from cairn.errors import InvalidFilter, InvalidParameter
from cairn.store.search_grammar import string_literal
from cairn.tracking import experiments
from cairn.tracking.run_table import (
    Column,
    TableGroups,
    TableKeys,
    TableQuery,
    TableRows,
    table_groups,
    table_keys,
    table_rows,
)

from .grid_wire import GRID_WINDOW, embedded_json, groups_to_wire, rows_to_wire
from .pages import Handler, page
from .stores import stores_of
from .templating import Pages

RUNS_PER_PAGE = 50
MAX_PAGE = 100_000
DEFAULT_METRIC_COLUMNS = 5
DEFAULT_PARAM_COLUMNS = 3
PICKER_KEYS = 500  # keys of each kind the column picker lists
MIN_COMPARE, MAX_COMPARE = 2, 20  # runs the compare page takes


@dataclass
class RunsView:
    experiment: Experiment
    query: TableQuery
    page: int
    keys: TableKeys
    rows: TableRows | None = None
    groups: TableGroups | None = None
    has_next: bool = False
    error: str | None = None
    error_position: int | None = None
    chosen: bool = False  # the URL names the columns (else they are the defaults)
    first_window: str | None = None  # the grid's first window as JSON, embedded in the page

    @property
    def filter(self) -> str:
        return self.query.filter

    @property
    def order(self) -> str:
        return self.query.order

    @property
    def group(self) -> str:
        return self.query.group.name if self.query.group else ""

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.query.columns]

    def state(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes`` applied (for links)."""
        state: dict[str, Any] = {"filter": self.filter, "order": self.order, "group": self.group,
                                 "cols": self.columns or [""], "page": self.page}
        state.update(changes)
        return {k: v for k, v in state.items() if v not in ("", None, 1, [])}

    def sort_link(self, column: str) -> tuple[dict[str, Any], str]:
        """(query, aria-sort) for a header: descending first, a second click flips it."""
        clause = order_clause(column)
        if self.order == f"{clause} DESC":
            return self.state(order=f"{clause} ASC", page=1), "descending"
        if self.order == f"{clause} ASC":
            return self.state(order=f"{clause} DESC", page=1), "ascending"
        return self.state(order=f"{clause} DESC", page=1), "none"

    def error_parts(self) -> tuple[str, str, str] | None:
        """The filter split around the bad token (up to the next space), for highlighting."""
        if self.error_position is None or self.error_position > len(self.filter):
            return None
        start = self.error_position
        end = self.filter.find(" ", start)
        end = len(self.filter) if end == -1 else end
        return self.filter[:start], self.filter[start:end] or " ", self.filter[end:]

    def drill_down(self, value: str | None) -> dict[str, Any] | None:
        """The view of one group's runs: this filter AND the group's value (None if unquotable)."""
        group = self.query.group
        assert group is not None
        try:
            test = f"{order_clause(group.name)} {'IS NULL' if value is None else '= ' + string_literal(value, 'value')}"
        except InvalidParameter:
            return None
        return self.state(filter=f"({self.filter}) AND {test}" if self.filter else test, group="", page=1)

    def grid(self) -> dict[str, Any]:
        """What the grid island starts from."""
        return {"experiment": self.experiment.experiment_id, "filter": self.filter, "order": self.order,
                "cols": self.columns, "group": self.group, "compare": [MIN_COMPARE, MAX_COMPARE],
                "window": GRID_WINDOW}


def order_clause(column: str) -> str:
    """``metrics.my loss`` -> ``metrics.`my loss```: keys are quoted so any key sorts."""
    entity, _, key = column.partition(".")
    return column if entity == "attributes" else f"{entity}.`{key}`"


def _page_number(text: str | None) -> int:
    try:
        number = int(text or "1")
    except ValueError:
        raise InvalidParameter(f"page must be a whole number, got '{text}'.") from None
    if not 1 <= number <= MAX_PAGE:
        raise InvalidParameter(f"page must be between 1 and {MAX_PAGE}, got {number}.")
    return number


def _default_columns(keys: TableKeys) -> list[str]:
    return [f"metrics.{k}" for k in keys.metrics[:DEFAULT_METRIC_COLUMNS]] + [
        f"params.{k}" for k in keys.params[:DEFAULT_PARAM_COLUMNS]]


def load_view(db: Any, experiment_id: str, params: Any) -> RunsView:
    experiment = experiments.get_experiment(db, experiment_id)
    keys = table_keys(db, experiment_id)
    chosen = "cols" in params
    columns = params.getlist("cols") if chosen else _default_columns(keys)
    query = TableQuery.parse(experiment_id, params.get("filter", ""), params.get("order", ""), columns,
                             params.get("group", ""))
    view = RunsView(experiment, query, _page_number(params.get("page")), keys, chosen=chosen)
    offset = (view.page - 1) * RUNS_PER_PAGE
    # The first page reads the grid's whole first window, which the page embeds for the grid.
    limit = GRID_WINDOW if view.page == 1 else RUNS_PER_PAGE + 1
    try:
        if query.group is not None:
            view.groups = table_groups(db, query, offset, limit)
            if view.page == 1:
                view.first_window = embedded_json(groups_to_wire(query, 0, view.groups))
            view.has_next = len(view.groups.groups) > RUNS_PER_PAGE
            del view.groups.groups[RUNS_PER_PAGE:]
        else:
            view.rows = table_rows(db, query, offset, limit)
            if view.page == 1:
                view.first_window = embedded_json(rows_to_wire(query, 0, view.rows))
            view.has_next = len(view.rows.rows) > RUNS_PER_PAGE
            del view.rows.rows[RUNS_PER_PAGE:]
    except InvalidFilter as exc:
        view.error, view.error_position = exc.message, exc.position
    return view


def cell_class(column: Column | str) -> str:
    name = column.name if isinstance(column, Column) else column
    return "num" if name.startswith("metrics.") else ""


def twin_of(view: RunsView) -> dict[str, Any]:
    """The page's JSON twin: the view and its rows (or groups) as ``/api/cairn/v1/runs/table``
    (``/groups``) answers them."""
    query = view.query
    window: dict[str, Any] = {"rows": [], "groups": [], "total": None, "matched": None}
    if view.rows is not None:
        window.update(rows_to_wire(query, (view.page - 1) * RUNS_PER_PAGE, view.rows))
    if view.groups is not None:
        window.update(groups_to_wire(query, (view.page - 1) * RUNS_PER_PAGE, view.groups))
    return {
        "experiment": view.experiment, "filter": view.filter, "order": query.order,
        "columns": [c.name for c in query.columns], "group": query.group.name if query.group else None,
        "page": view.page, "has_next": view.has_next, "error": view.error, "error_position": view.error_position,
        "total": window["total"], "matched": window["matched"], "runs": window["rows"], "groups": window["groups"],
    }


def runs_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        db = stores_of(request).db
        view = await run_in_threadpool(load_view, db, request.path_params["experiment_id"], request.query_params)
        return pages.render(request, "runs.html", twin=twin_of(view), view=view, cell_class=cell_class,
                            title=view.experiment.name, picker_keys=PICKER_KEYS)

    return handler
