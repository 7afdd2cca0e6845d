"""The runs of one experiment: a server-paged, server-sorted table with Cairn's filter grammar.

The whole view lives in the query string (``filter``, ``order``, ``page``, ``cols``), so a link or
a reload shows the same table. Only one page of rows is ever rendered; htmx swaps the table in
place when the filter, sort or page changes. A filter that does not parse is shown inline with its
message and a marker under the offending character.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Experiment, Run
from cairn.errors import InvalidFilter, InvalidParameter
from cairn.store.page_tokens import encode_token
from cairn.tracking import experiments, runs

from .pages import Handler, page
from .stores import stores_of
from .templating import Pages

RUNS_PER_PAGE = 50
MAX_PAGE = 100_000
DEFAULT_METRIC_COLUMNS = 5
DEFAULT_PARAM_COLUMNS = 3


@dataclass
class RunsView:
    experiment: Experiment
    filter: str
    order: str
    page: int
    runs: list[Run] = field(default_factory=list)
    has_next: bool = False
    error: str | None = None
    error_position: int | None = None
    metric_keys: list[str] = field(default_factory=list)
    param_keys: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def query(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes`` applied (for links)."""
        state: dict[str, Any] = {"filter": self.filter, "order": self.order, "page": self.page, "cols": self.columns}
        state.update(changes)
        return {k: v for k, v in state.items() if v not in ("", None, 1, [])}

    def sort_link(self, column: str) -> tuple[dict[str, Any], str]:
        """(query, aria-sort) for a header: descending first, a second click flips it."""
        clause = order_clause(column)
        if self.order == f"{clause} DESC":
            return self.query(order=f"{clause} ASC", page=1), "descending"
        if self.order == f"{clause} ASC":
            return self.query(order=f"{clause} DESC", page=1), "ascending"
        return self.query(order=f"{clause} DESC", page=1), "none"

    def error_parts(self) -> tuple[str, str, str] | None:
        """The filter split around the bad token (up to the next space), for highlighting."""
        if self.error_position is None or self.error_position > len(self.filter):
            return None
        start = self.error_position
        end = self.filter.find(" ", start)
        end = len(self.filter) if end == -1 else end
        return self.filter[:start], self.filter[start:end] or " ", self.filter[end:]


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


def load_view(db: Any, experiment_id: str, params: Any) -> RunsView:
    view = RunsView(
        experiments.get_experiment(db, experiment_id), params.get("filter", "").strip(),
        params.get("order", "").strip(), _page_number(params.get("page")),
    )  # fmt: skip
    token = encode_token("runs", (view.page - 1) * RUNS_PER_PAGE) if view.page > 1 else None
    try:
        found = runs.search_runs(
            db, [experiment_id], view.filter or None, max_results=RUNS_PER_PAGE,
            order_by=[view.order] if view.order else None, page_token=token,
        )  # fmt: skip
        view.runs, view.has_next = found.items, found.next_page_token is not None
    except InvalidFilter as exc:
        view.error, view.error_position = exc.message, exc.position
    view.metric_keys = sorted({k for r in view.runs for k in r.data.metrics})
    view.param_keys = sorted({k for r in view.runs for k in r.data.params})
    chosen = params.getlist("cols")
    view.columns = chosen or [f"metrics.{k}" for k in view.metric_keys[:DEFAULT_METRIC_COLUMNS]] + [
        f"params.{k}" for k in view.param_keys[:DEFAULT_PARAM_COLUMNS]]
    return view


def cell(run: Run, column: str) -> Any:
    entity, _, key = column.partition(".")
    if entity == "metrics":
        metric = run.data.metrics.get(key)
        return None if metric is None else metric.value
    if entity == "params":
        return run.data.params.get(key)
    return run.data.tags.get(key) if entity == "tags" else None


def runs_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        db = stores_of(request).db
        view = await run_in_threadpool(load_view, db, request.path_params["experiment_id"], request.query_params)
        return pages.render(request, "runs.html", twin=view, view=view, cell=cell, title=view.experiment.name)

    return handler
