"""What each root field of the schema answers, through the same domain functions, limits and
messages as the REST route of the same name; results are the REST messages (snake_case dicts),
which ``schema.proto_field`` reads under their camelCase names.

Runs answered by ``mlflowGetRun`` or ``mlflowSearchRuns`` may ask for their ``experiment`` and
``modelVersions``: ``QueryContext`` loads those for every run of the answer at the first ask, in
one read each, so a search of 1000 runs costs two more queries, not 2000.

One deliberate difference: MLflow's GraphQL ``mlflowGetMetricHistoryBulkInterval`` ignores the
input's ``maxResults``, ``startStep`` and ``endStep`` (its handler reads them from the URL's query
string); here they are honoured, as the web UI that sends them expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import GraphQLResolveInfo

from cairn.artifacts.base import ArtifactStore
from cairn.entities import Run, ViewType
from cairn.registry.search import search_model_versions_by_filter
from cairn.registry.versions import model_versions_of_runs
from cairn.store.database import Database
from cairn.tracking import dataset_summaries, experiments, logged_models, metric_histories, runs

from ..decoders import run_id_of
from ..encoders import experiment_to_wire, run_to_wire
from ..fields import Fields
from ..registry_wire import model_version_to_wire, model_versions_payload
from ..routes_artifacts import files_under
from ..routes_dataset_summaries import summary_to_wire
from ..routes_metrics_bulk import points_to_wire
from ..routes_model_versions import DEFAULT_MAX_VERSIONS
from ..routes_runs import DEFAULT_MAX_RUNS, VIEW_TYPES

Wire = dict[str, Any]
Resolver = Callable[..., Any]
_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


@lru_cache(maxsize=512)
def snake_case(name: str) -> str:
    """``runUuid`` -> ``run_uuid``: a schema name back to its proto (REST) field name."""
    return _CAPITAL.sub("_", name).lower()


def fields_of(given: Mapping[str, Any] | None) -> Fields:
    """An input object as the REST routes' typed field accessors see a JSON body."""
    return Fields({snake_case(k): v for k, v in (given or {}).items()})


@dataclass
class QueryContext:
    """The stores one query reads, and the runs it has answered so far (for batched loading)."""

    db: Database
    artifacts: ArtifactStore
    _runs: list[Wire] = field(default_factory=list)
    _experiments: dict[str, Wire | None] = field(default_factory=dict)
    _versions: dict[str, list[Wire]] = field(default_factory=dict)

    def remember(self, answered: list[Wire]) -> list[Wire]:
        self._runs.extend(answered)
        return answered

    def experiment_of(self, run: Wire) -> Wire | None:
        wanted = run["info"]["experiment_id"]
        if wanted not in self._experiments:
            missing = {r["info"]["experiment_id"] for r in self._runs} - self._experiments.keys() | {wanted}
            found = experiments.get_experiments(self.db, sorted(missing))
            for experiment_id in missing:
                known = found.get(experiment_id)
                self._experiments[experiment_id] = experiment_to_wire(known) if known else None
        return self._experiments[wanted]

    def model_versions_of(self, run: Wire) -> list[Wire]:
        wanted = run["info"]["run_id"]
        if wanted not in self._versions:
            missing = {r["info"]["run_id"] for r in self._runs} - self._versions.keys() | {wanted}
            found = model_versions_of_runs(self.db, sorted(missing))
            for run_id in missing:
                self._versions[run_id] = [model_version_to_wire(v) for v in found.get(run_id, ())]
        return self._versions[wanted]


def _context(info: GraphQLResolveInfo) -> QueryContext:
    context: QueryContext = info.context
    return context


def _runs_to_wire(context: QueryContext, found: list[Run]) -> list[Wire]:
    links = logged_models.run_model_links(context.db, [r.run_id for r in found]) if found else {}
    return context.remember([run_to_wire(r, links.get(r.run_id, ())) for r in found])


def get_experiment(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    f = fields_of(input)
    experiment = experiments.get_experiment(_context(info).db, f.required_string("experiment_id"))
    return {"experiment": experiment_to_wire(experiment)}


def get_run(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    context = _context(info)
    (run,) = _runs_to_wire(context, [runs.get_run(context.db, run_id_of(fields_of(input)))])
    return {"run": run}


def search_runs(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    context = _context(info)
    f = fields_of(input)
    view_type = ViewType(f.enum("run_view_type", VIEW_TYPES, default=ViewType.ACTIVE_ONLY.value))
    page = runs.search_runs(
        context.db, f.strings("experiment_ids"), f.string("filter") or None, view_type,
        f.int32("max_results", default=DEFAULT_MAX_RUNS), f.strings("order_by"), f.string("page_token") or None,
    )  # fmt: skip
    answer: Wire = {"runs": _runs_to_wire(context, page.items)}
    if page.next_page_token:
        answer["next_page_token"] = page.next_page_token
    return answer


def get_metric_history_bulk_interval(
    _root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None
) -> Wire:
    f = fields_of(input)
    points = metric_histories.sample_metric_histories(
        _context(info).db, f.strings("run_ids"), f.string("metric_key"), f.int32("max_results"),
        f.int64("start_step"), f.int64("end_step"),
    )  # fmt: skip
    return {"metrics": points_to_wire(points)}


def list_artifacts(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    context = _context(info)
    f = fields_of(input)
    run = runs.get_run(context.db, run_id_of(f))
    path = f.string("path") or ""
    f.string("page_token")  # type-checked, then unused: the whole listing fits one page
    return {"root_uri": run.info.artifact_uri, "files": files_under(context.artifacts, run.info.artifact_uri, path)}


def search_model_versions(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    f = fields_of(input)
    page = search_model_versions_by_filter(
        _context(info).db, f.string("filter"), f.strings("order_by"),
        f.int64("max_results", default=DEFAULT_MAX_VERSIONS), f.string("page_token") or None,
    )  # fmt: skip
    return model_versions_payload(page.items, page.next_page_token)


def search_datasets(_root: None, info: GraphQLResolveInfo, input: Mapping[str, Any] | None = None) -> Wire:
    found = dataset_summaries.search_dataset_summaries(_context(info).db, fields_of(input).strings("experiment_ids"))
    return {"dataset_summaries": [summary_to_wire(s) for s in found]}


def echo(_root: None, info: GraphQLResolveInfo, inputString: str | None = None) -> Wire:  # noqa: N803
    return {"output": inputString}


def run_experiment(run: Wire, info: GraphQLResolveInfo) -> Wire | None:
    return _context(info).experiment_of(run)


def run_model_versions(run: Wire, info: GraphQLResolveInfo) -> list[Wire]:
    return _context(info).model_versions_of(run)


# (type, field) -> resolver; every other field reads its value from the message (schema.proto_field).
RESOLVERS: dict[tuple[str, str], Resolver] = {
    ("Query", "mlflowGetExperiment"): get_experiment,
    ("Query", "mlflowGetMetricHistoryBulkInterval"): get_metric_history_bulk_interval,
    ("Query", "mlflowGetRun"): get_run,
    ("Query", "mlflowListArtifacts"): list_artifacts,
    ("Query", "mlflowSearchModelVersions"): search_model_versions,
    ("Query", "mlflowSearchRuns"): search_runs,
    ("Query", "test"): echo,
    ("Mutation", "mlflowSearchDatasets"): search_datasets,
    ("Mutation", "mlflowSearchRuns"): search_runs,
    ("Mutation", "testMutation"): echo,
    ("MlflowRunExtension", "experiment"): run_experiment,
    ("MlflowRunExtension", "modelVersions"): run_model_versions,
}
