"""The route table: every (method, path) the servers answer, and who may call it. Deny by default.

A request whose route has no entry here is refused (401 when anonymous, 403 when signed in), so
a route added without a rule is closed, not open: MLflow's basic-auth app let such routes
through, and they came back as advisories (sign-up, Flask-only and GraphQL routes, traces,
datasets, jobs, multipart uploads). ``tests/auth/test_route_table.py`` lists every route of the
apps that lacks an entry.

Each entry names an ``Access`` kind, the token scope(s) it needs, and for resource checks which
resource the request names and where (a ``Check``): the server's auth middleware reads that field
(query string, JSON body or path), finds the experiment or registered model, and compares the
caller's permission with the capability. Paths use Starlette's templates (``{model_id}``,
``{path:path}``) and are matched against the decoded path, as Starlette routes them. GET entries
cover HEAD too, as Starlette's routes do.

Searches and lists (``FILTERED``) are open to any signed-in caller; their handlers return only
what the caller may read, filtered in the query so page tokens cannot reveal hidden rows.

The web UI's pages and forms are ``browser`` rules (``page(...)``) with their REST twins' checks:
READ on the experiment, run or model a page names (403 if it exists, else the page's 404, as the
API answers), lists filtered like searches, each form what its REST twin needs. Only on these does
the UI's session cookie sign a browser in; the REST API never reads it.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from starlette.routing import compile_path

from cairn.store.auth_grants import EXPERIMENT, REGISTERED_MODEL

from .permissions import (
    CAN_APPROVE,
    CAN_DECIDE,
    CAN_DELETE,
    CAN_MANAGE,
    CAN_READ,
    CAN_UPDATE,
    SCOPE_ADMIN,
    SCOPE_READ,
    SCOPE_REGISTRY_APPROVE,
    SCOPE_REGISTRY_WRITE,
    SCOPE_WRITE,
)

MLFLOW_PREFIXES = ("/api/2.0", "/ajax-api/2.0")
MLFLOW_V3_PREFIXES = ("/api/3.0", "/ajax-api/3.0")
CAIRN_PREFIX = "/api/cairn/v1"


class Access(enum.Enum):
    PUBLIC = "public"                  # anyone, no sign-in (health checks)
    SIGNED_IN = "signed_in"            # any signed-in caller holding the scope
    FILTERED = "filtered"              # signed in; the handler returns only what the caller may read
    RESOURCE = "resource"              # signed in, and every ``Check`` passes
    ADMIN = "admin"                    # an admin (a token also needs the ``admin`` scope)
    SELF_OR_ADMIN = "self_or_admin"    # the user named in ``username``, or an admin
    PASSWORD_SESSION = "password"      # signed in with a password, not a token (minting tokens)
    READ_ALL = "read_all"              # spans resources: callers who may read every experiment and model


# Where a request names its resource (the server's auth middleware knows how to read each).
EXPERIMENT_ID = "experiment_id"            # field experiment_id
EXPERIMENT_IDS = "experiment_ids"          # field experiment_ids (every one is checked)
EXPERIMENT_NAME = "experiment_name"        # field experiment_name
RUN_ID = "run_id"                          # field run_id (or run_uuid): the run's experiment
SOURCE_RUN_ID = "source_run_id"            # optional field run_id of a model version's source run
LOGGED_MODEL = "logged_model"              # path parameter model_id: the logged model's experiment
ARTIFACT_PATH = "artifact_path"            # path parameter path: the experiment whose location holds it
ARTIFACT_QUERY_PATH = "artifact_query_path"  # field path, as above
MODEL_NAME = "model_name"                  # field name
MODEL_PATH = "model_path"                  # path parameter name (the web UI's model pages and forms)
EXPERIMENT_PATH = "experiment_path"        # path parameter experiment_id (the web UI's runs page)
RUN_PATH = "run_path"                      # path parameter run_id: the run's experiment (the web UI's run pages)
RUN_IDS = "run_ids"                        # repeated field run: every run's experiment (the web UI's compare page)
MODEL_REF = "model_ref"                    # field ref (NAME@alias, NAME/3, NAME/Production, NAME)
PREDICTION_ID = "prediction_id"            # field prediction_id: the model the prediction was made by
PREDICTION_PATH = "prediction_path"        # path parameter prediction_id, as above (the web UI's prediction page)
PREDICTION_MODELS = "prediction_models"    # field predictions[].model_name (every one is checked)
GRANT_TARGET = "grant_target"              # fields resource_type and resource_id (MLflow 3 permission API)
SERVED_MODEL = "served_model"              # the model a `cairn serve` process serves


@dataclass(frozen=True)
class Check:
    """The caller needs ``capability`` on the ``resource`` the request names at ``where``.
    ``optional``: nothing to check when the request does not name one. ``create_if_missing``:
    naming a resource that does not exist yet is allowed (the request creates it)."""

    resource: str
    capability: str
    where: str
    optional: bool = False
    create_if_missing: bool = False


@dataclass(frozen=True)
class Rule:
    access: Access
    scopes: tuple[str, ...] = ()   # a token needs one of these (none: any token)
    checks: tuple[Check, ...] = ()
    creates: str | None = None     # after success, the creator gets MANAGE on the new resource
    # A web UI route: a browser's session cookie signs in here, and an anonymous browser is sent
    # to the login page (an API route reads no cookie and answers 401).
    browser: bool = False


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    rule: Rule
    pattern: re.Pattern[str] = field(compare=False, repr=False)


# rule builders -----------------------------------------------------------------------------

def public() -> Rule:
    return Rule(Access.PUBLIC)


def signed_in(*scopes: str, creates: str | None = None) -> Rule:
    return Rule(Access.SIGNED_IN, scopes, creates=creates)


def filtered() -> Rule:
    return Rule(Access.FILTERED, (SCOPE_READ,))


def admin(scope: str = SCOPE_ADMIN) -> Rule:
    return Rule(Access.ADMIN, (scope,))


def read_all() -> Rule:
    return Rule(Access.READ_ALL, (SCOPE_READ,))


def page(rule: Rule) -> Rule:
    """``rule`` for a web UI page or form (see ``Rule.browser``)."""
    return dataclasses.replace(rule, browser=True)


def on(resource: str, capability: str, where: str, *scopes: str, also: Iterable[Check] = (),
       create_if_missing: bool = False, creates: str | None = None) -> Rule:
    check = Check(resource, capability, where, create_if_missing=create_if_missing)
    return Rule(Access.RESOURCE, scopes, (check, *also), creates=creates)


def experiment(capability: str, where: str = EXPERIMENT_ID) -> Rule:
    scope = SCOPE_READ if capability == CAN_READ else SCOPE_WRITE
    return on(EXPERIMENT, capability, where, scope)


def model(capability: str, where: str = MODEL_NAME) -> Rule:
    scope = SCOPE_READ if capability == CAN_READ else SCOPE_REGISTRY_WRITE
    return on(REGISTERED_MODEL, capability, where, scope)


# the table ---------------------------------------------------------------------------------

_RUN_READ, _RUN_UPDATE, _RUN_DELETE = (experiment(c, RUN_ID) for c in (CAN_READ, CAN_UPDATE, CAN_DELETE))
_LOGGED_READ, _LOGGED_UPDATE, _LOGGED_DELETE = (experiment(c, LOGGED_MODEL) for c in (CAN_READ, CAN_UPDATE,
                                                                                       CAN_DELETE))
_SOURCE_RUN = Check(EXPERIMENT, CAN_READ, SOURCE_RUN_ID, optional=True)
_RUN_PAGE = page(experiment(CAN_READ, RUN_PATH))
_MANAGE_EXPERIMENT_GRANTS = on(EXPERIMENT, CAN_MANAGE, EXPERIMENT_ID, SCOPE_ADMIN)
_MANAGE_MODEL_GRANTS = on(REGISTERED_MODEL, CAN_MANAGE, MODEL_NAME, SCOPE_ADMIN)
_ARTIFACTS = "/mlflow-artifacts/artifacts"
_LOGGED = "/mlflow/logged-models"

# MLflow's REST API: under /api/2.0 and its /ajax-api/2.0 twin.
MLFLOW_ROUTES: list[tuple[str, str, Rule]] = [
    ("POST", "/mlflow/experiments/create", signed_in(SCOPE_WRITE, creates=EXPERIMENT)),
    ("GET", "/mlflow/experiments/get", experiment(CAN_READ)),
    ("GET", "/mlflow/experiments/get-by-name", experiment(CAN_READ, EXPERIMENT_NAME)),
    ("GET", "/mlflow/experiments/search", filtered()),
    ("POST", "/mlflow/experiments/search", filtered()),
    ("POST", "/mlflow/experiments/update", experiment(CAN_UPDATE)),
    ("POST", "/mlflow/experiments/delete", experiment(CAN_DELETE)),
    ("POST", "/mlflow/experiments/restore", experiment(CAN_DELETE)),
    ("POST", "/mlflow/experiments/set-experiment-tag", experiment(CAN_UPDATE)),
    ("POST", "/mlflow/experiments/delete-experiment-tag", experiment(CAN_UPDATE)),
    ("POST", "/mlflow/runs/create", experiment(CAN_UPDATE)),
    ("GET", "/mlflow/runs/get", _RUN_READ),
    ("POST", "/mlflow/runs/update", _RUN_UPDATE),
    ("POST", "/mlflow/runs/delete", _RUN_DELETE),
    ("POST", "/mlflow/runs/restore", _RUN_DELETE),
    ("POST", "/mlflow/runs/search", experiment(CAN_READ, EXPERIMENT_IDS)),
    ("POST", "/mlflow/runs/log-metric", _RUN_UPDATE),
    ("POST", "/mlflow/runs/log-parameter", _RUN_UPDATE),
    ("POST", "/mlflow/runs/set-tag", _RUN_UPDATE),
    ("POST", "/mlflow/runs/delete-tag", _RUN_UPDATE),
    ("POST", "/mlflow/runs/log-batch", _RUN_UPDATE),
    # MLflow's LogInputs once skipped the per-run check; here it is an update of the run's experiment.
    ("POST", "/mlflow/runs/log-inputs", _RUN_UPDATE),
    ("POST", "/mlflow/runs/outputs", _RUN_UPDATE),
    ("GET", "/mlflow/metrics/get-history", _RUN_READ),
    ("GET", "/mlflow/artifacts/list", _RUN_READ),
    ("GET", _ARTIFACTS, experiment(CAN_READ, ARTIFACT_QUERY_PATH)),
    ("GET", _ARTIFACTS + "/{path:path}", experiment(CAN_READ, ARTIFACT_PATH)),
    ("PUT", _ARTIFACTS + "/{path:path}", experiment(CAN_UPDATE, ARTIFACT_PATH)),
    ("DELETE", _ARTIFACTS + "/{path:path}", experiment(CAN_DELETE, ARTIFACT_PATH)),
    # Multipart uploads write into the experiment the path names, as the PUT above does.
    ("POST", "/mlflow-artifacts/mpu/create/{path:path}", experiment(CAN_UPDATE, ARTIFACT_PATH)),
    ("POST", "/mlflow-artifacts/mpu/complete/{path:path}", experiment(CAN_UPDATE, ARTIFACT_PATH)),
    ("POST", "/mlflow-artifacts/mpu/abort/{path:path}", experiment(CAN_UPDATE, ARTIFACT_PATH)),
    ("POST", _LOGGED, experiment(CAN_UPDATE)),
    ("POST", _LOGGED + "/search", experiment(CAN_READ, EXPERIMENT_IDS)),
    ("GET", _LOGGED + "/{model_id}", _LOGGED_READ),
    ("PATCH", _LOGGED + "/{model_id}", _LOGGED_UPDATE),
    ("DELETE", _LOGGED + "/{model_id}", _LOGGED_DELETE),
    ("PATCH", _LOGGED + "/{model_id}/tags", _LOGGED_UPDATE),
    ("DELETE", _LOGGED + "/{model_id}/tags/{tag_key:path}", _LOGGED_UPDATE),
    ("POST", _LOGGED + "/{model_id}/params", _LOGGED_UPDATE),
    ("GET", _LOGGED + "/{model_id}/artifacts/directories", _LOGGED_READ),
    ("GET", _LOGGED + "/{model_id}/artifacts/files", _LOGGED_READ),
    # The web UI's endpoints: several runs per request (each may be in another experiment), so
    # only callers who may read everything until the check covers every run id.
    ("GET", "/mlflow/metrics/get-history-bulk", read_all()),
    ("GET", "/mlflow/metrics/get-history-bulk-interval", read_all()),
    ("POST", "/mlflow/experiments/search-datasets", experiment(CAN_READ, EXPERIMENT_IDS)),
    ("POST", "/mlflow/upload-artifact", _RUN_UPDATE),
    ("POST", "/mlflow/registered-models/create", signed_in(SCOPE_REGISTRY_WRITE, creates=REGISTERED_MODEL)),
    ("POST", "/mlflow/registered-models/rename", model(CAN_UPDATE)),
    ("PATCH", "/mlflow/registered-models/update", model(CAN_UPDATE)),
    ("DELETE", "/mlflow/registered-models/delete", model(CAN_DELETE)),
    ("GET", "/mlflow/registered-models/get", model(CAN_READ)),
    ("GET", "/mlflow/registered-models/search", filtered()),
    ("GET", "/mlflow/registered-models/get-latest-versions", model(CAN_READ)),
    ("POST", "/mlflow/registered-models/get-latest-versions", model(CAN_READ)),
    ("POST", "/mlflow/registered-models/set-tag", model(CAN_UPDATE)),
    ("DELETE", "/mlflow/registered-models/delete-tag", model(CAN_UPDATE)),
    ("GET", "/mlflow/registered-models/alias", model(CAN_READ)),
    ("POST", "/mlflow/registered-models/alias", model(CAN_UPDATE)),
    ("DELETE", "/mlflow/registered-models/alias", model(CAN_UPDATE)),
    ("POST", "/mlflow/model-versions/create",
     on(REGISTERED_MODEL, CAN_UPDATE, MODEL_NAME, SCOPE_REGISTRY_WRITE, also=[_SOURCE_RUN])),
    ("PATCH", "/mlflow/model-versions/update", model(CAN_UPDATE)),
    ("DELETE", "/mlflow/model-versions/delete", model(CAN_DELETE)),
    ("GET", "/mlflow/model-versions/get", model(CAN_READ)),
    ("GET", "/mlflow/model-versions/search", filtered()),
    ("GET", "/mlflow/model-versions/get-download-uri", model(CAN_READ)),
    ("POST", "/mlflow/model-versions/transition-stage", model(CAN_UPDATE)),
    ("POST", "/mlflow/model-versions/set-tag", model(CAN_UPDATE)),
    ("DELETE", "/mlflow/model-versions/delete-tag", model(CAN_UPDATE)),
    # Webhooks see every model's events and make the server call out: admins only.
    ("GET", "/mlflow/webhooks", admin()),
    ("POST", "/mlflow/webhooks", admin()),
    ("GET", "/mlflow/webhooks/{webhook_id}", admin()),
    ("PATCH", "/mlflow/webhooks/{webhook_id}", admin()),
    ("DELETE", "/mlflow/webhooks/{webhook_id}", admin()),
    ("POST", "/mlflow/webhooks/{webhook_id}/test", admin()),
    # MLflow's auth API (AuthServiceClient); mounted only on a server with --auth.
    ("POST", "/mlflow/users/create", admin()),
    ("GET", "/mlflow/users/get", Rule(Access.SELF_OR_ADMIN)),
    ("GET", "/mlflow/users/current", signed_in()),
    ("GET", "/mlflow/users/list", admin()),
    ("PATCH", "/mlflow/users/update-password", Rule(Access.SELF_OR_ADMIN)),
    ("PATCH", "/mlflow/users/update-admin", admin()),
    ("DELETE", "/mlflow/users/delete", admin()),
    ("POST", "/mlflow/experiments/permissions/create", _MANAGE_EXPERIMENT_GRANTS),
    ("GET", "/mlflow/experiments/permissions/get", _MANAGE_EXPERIMENT_GRANTS),
    ("PATCH", "/mlflow/experiments/permissions/update", _MANAGE_EXPERIMENT_GRANTS),
    ("DELETE", "/mlflow/experiments/permissions/delete", _MANAGE_EXPERIMENT_GRANTS),
    ("POST", "/mlflow/registered-models/permissions/create", _MANAGE_MODEL_GRANTS),
    ("GET", "/mlflow/registered-models/permissions/get", _MANAGE_MODEL_GRANTS),
    ("PATCH", "/mlflow/registered-models/permissions/update", _MANAGE_MODEL_GRANTS),
    ("DELETE", "/mlflow/registered-models/permissions/delete", _MANAGE_MODEL_GRANTS),
]

# MLflow 3 routes: under /api/3.0 and /ajax-api/3.0.
MLFLOW_V3_ROUTES: list[tuple[str, str, Rule]] = [
    # The mlflow client asks before artifact transfers; it sends its credentials like on any call.
    ("GET", "/mlflow/server-info", signed_in()),
    ("POST", "/mlflow/users/permissions/grant", on("", CAN_MANAGE, GRANT_TARGET, SCOPE_ADMIN)),
    ("POST", "/mlflow/users/permissions/revoke", on("", CAN_MANAGE, GRANT_TARGET, SCOPE_ADMIN)),
    ("GET", "/mlflow/users/permissions/get", on("", CAN_MANAGE, GRANT_TARGET, SCOPE_ADMIN)),
]

# Cairn's own API under /api/cairn/v1.
CAIRN_ROUTES: list[tuple[str, str, Rule]] = [
    ("POST", "/model-versions/promote", model(CAN_UPDATE)),
    ("POST", "/model-versions/register",
     on(REGISTERED_MODEL, CAN_UPDATE, MODEL_NAME, SCOPE_REGISTRY_WRITE, also=[_SOURCE_RUN],
        create_if_missing=True, creates=REGISTERED_MODEL)),
    ("GET", "/transition-requests", filtered()),
    ("POST", "/transition-requests/approve",
     on(REGISTERED_MODEL, CAN_APPROVE, MODEL_NAME, SCOPE_REGISTRY_APPROVE)),
    ("POST", "/transition-requests/reject",
     on(REGISTERED_MODEL, CAN_DECIDE, MODEL_NAME, SCOPE_REGISTRY_WRITE, SCOPE_REGISTRY_APPROVE)),
    ("POST", "/models/rollback", model(CAN_UPDATE)),
    ("GET", "/models/alias", model(CAN_READ)),
    ("DELETE", "/models/alias", model(CAN_UPDATE)),
    ("GET", "/models/policy", model(CAN_READ)),
    # A policy decides whether Production needs sign-off: changing it is managing the model.
    ("POST", "/models/policy", model(CAN_MANAGE)),
    ("GET", "/policies/default", signed_in(SCOPE_READ)),
    ("POST", "/policies/default", admin()),
    ("GET", "/models/audit", model(CAN_READ)),
    ("GET", "/models/timeline", model(CAN_READ)),
    ("GET", "/models/show", model(CAN_READ, MODEL_REF)),
    # Evidence on a version: stating its requirements or recording a benchmark is writing to it.
    ("POST", "/model-versions/requirements", model(CAN_UPDATE)),
    ("POST", "/model-versions/benchmarks", model(CAN_UPDATE)),
    ("GET", "/model-versions/evidence", model(CAN_READ)),
    ("GET", "/models/stability", model(CAN_READ)),
    # A breach holds the standby version instead of archiving it: like a rollback, updating the model.
    ("POST", "/model-versions/gate-breach", model(CAN_UPDATE)),
    ("POST", "/models/collect-expired-artifacts", admin()),
    # Retention: a policy decides which runs lose their files, so setting it is managing the
    # experiment; garbage collection deletes across experiments: admins only.
    ("GET", "/experiments/retention", experiment(CAN_READ)),
    ("POST", "/experiments/retention", experiment(CAN_MANAGE)),
    ("DELETE", "/experiments/retention", experiment(CAN_MANAGE)),
    ("POST", "/gc", admin()),
    ("GET", "/retention/events", read_all()),
    ("GET", "/webhooks", admin()),
    ("POST", "/webhooks", admin()),
    ("GET", "/webhooks/deliveries", admin()),
    ("POST", "/webhooks/deliver", admin()),
    ("DELETE", "/webhooks/{webhook_id}", admin()),
    ("POST", "/webhooks/{webhook_id}/test", admin()),
    # Datasets, diffs, lineage and drift read across experiments and models.
    ("GET", "/datasets/search", read_all()),
    ("GET", "/datasets/get", read_all()),
    ("GET", "/datasets/runs", read_all()),
    ("GET", "/runs/diff", read_all()),
    ("GET", "/lineage", read_all()),
    ("GET", "/metric-series", _RUN_READ),
    ("GET", "/metric-history.csv", _RUN_READ),
    ("GET", "/runs/table", experiment(CAN_READ)),
    ("GET", "/runs/groups", experiment(CAN_READ)),
    ("GET", "/runs/keys", experiment(CAN_READ)),
    ("POST", "/drift", read_all()),
    ("POST", "/deployments/set", model(CAN_UPDATE)),
    ("GET", "/deployments/get", model(CAN_READ)),
    ("GET", "/deployments/resolve", model(CAN_READ)),
    ("GET", "/deployments/compare", model(CAN_READ)),
    ("POST", "/predictions/log-batch", model(CAN_UPDATE, PREDICTION_MODELS)),
    ("GET", "/predictions/get", model(CAN_READ, PREDICTION_ID)),
    ("GET", "/predictions/search", model(CAN_READ)),
    ("POST", "/predictions/outcome", model(CAN_UPDATE, PREDICTION_ID)),
    ("GET", "/predictions/flag-counts", model(CAN_READ)),
    ("GET", "/predictions/explain", model(CAN_READ, PREDICTION_ID)),
    # Imports choose ids, times, users and audit events no other route lets a caller set: admins only.
    ("POST", "/imports/experiments", admin()),
    ("POST", "/imports/runs/begin", admin()),
    ("POST", "/imports/runs/metrics", admin()),
    ("POST", "/imports/runs/complete", admin()),
    ("POST", "/imports/logged-models/begin", admin()),
    ("POST", "/imports/logged-models/complete", admin()),
    ("POST", "/imports/registered-models", admin()),
    ("POST", "/imports/finish", admin()),
    # API tokens and the auth log; mounted only on a server with --auth.
    ("POST", "/tokens/create", Rule(Access.PASSWORD_SESSION)),
    ("GET", "/tokens/list", signed_in()),
    ("POST", "/tokens/revoke", signed_in()),
    ("GET", "/auth/events", admin()),
]

# Outside any API prefix.
SERVER_ROUTES: list[tuple[str, str, Rule]] = [
    ("GET", "/health", public()),
    ("GET", "/version", signed_in()),
    # MLflow's root-level downloads (its web UI's).
    ("GET", "/get-artifact", _RUN_READ),
    ("GET", "/model-versions/get-artifact", model(CAN_READ)),
    # GraphQL resolvers read across experiments and models without filtering per caller.
    ("GET", "/graphql", read_all()),
    ("POST", "/graphql", read_all()),
    # The web UI (``Rule.browser``): lists filtered to what the caller may read; a page naming an
    # experiment, run or model needs READ on it; each form needs what its REST twin needs.
    ("GET", "/", page(filtered())),
    ("GET", "/experiments/{experiment_id}", page(experiment(CAN_READ, EXPERIMENT_PATH))),
    ("GET", "/experiments/{experiment_id}/runs-table", page(experiment(CAN_READ, EXPERIMENT_PATH))),
    ("GET", "/experiments/{experiment_id}/runs-groups", page(experiment(CAN_READ, EXPERIMENT_PATH))),
    ("GET", "/runs/{run_id}", _RUN_PAGE),
    ("GET", "/runs/{run_id}/artifacts", _RUN_PAGE),
    ("GET", "/runs/{run_id}/image", _RUN_PAGE),
    ("GET", "/runs/{run_id}/preview", _RUN_PAGE),
    ("GET", "/runs/{run_id}/download", _RUN_PAGE),
    ("GET", "/runs/{run_id}/metric-series", _RUN_PAGE),
    ("GET", "/models", page(filtered())),
    # before models/{name:path}, which would take a version's path whole as a model name
    ("GET", "/models/{name:path}/versions/{version:int}", page(model(CAN_READ, MODEL_PATH))),
    ("GET", "/models/{name:path}/versions/{version:int}/report", page(model(CAN_READ, MODEL_PATH))),
    ("GET", "/models/{name:path}", page(model(CAN_READ, MODEL_PATH))),
    ("POST", "/models/{name:path}/promote", page(model(CAN_UPDATE, MODEL_PATH))),
    ("POST", "/models/{name:path}/rollback", page(model(CAN_UPDATE, MODEL_PATH))),
    ("POST", "/models/{name:path}/approve",
     page(on(REGISTERED_MODEL, CAN_APPROVE, MODEL_PATH, SCOPE_REGISTRY_APPROVE))),
    ("POST", "/models/{name:path}/reject",
     page(on(REGISTERED_MODEL, CAN_DECIDE, MODEL_PATH, SCOPE_REGISTRY_WRITE, SCOPE_REGISTRY_APPROVE))),
    # Web UI sign-in and sign-out (with --auth): the handlers check passwords and CSRF tokens.
    ("GET", "/login", public()),
    ("POST", "/login", public()),
    ("POST", "/logout", public()),
    ("GET", "/static/{name:path}", public()),
    ("GET", "/runs/{run_id}/metric-history.csv", _RUN_PAGE),
    # Compare needs READ on every run it names; the deployments and datasets lists hold only the
    # models and experiments the caller may read, and a dataset or drift page checks what it names
    # in its handler (``ui/visibility.py``): a dataset is named by digest, not by a route field.
    ("GET", "/compare", page(on(EXPERIMENT, CAN_READ, RUN_IDS, SCOPE_READ))),
    ("GET", "/deployments", page(filtered())),
    ("GET", "/deployments/{name:path}", page(model(CAN_READ, MODEL_PATH))),
    ("GET", "/predictions/{prediction_id}", page(on(REGISTERED_MODEL, CAN_READ, PREDICTION_PATH, SCOPE_READ))),
    ("GET", "/datasets", page(filtered())),
    ("GET", "/datasets/drift", page(signed_in(SCOPE_READ))),
    ("GET", "/datasets/{ref}", page(signed_in(SCOPE_READ))),
]


# `cairn serve` (the model-serving app). With --auth its admin routes need READ on the served
# model; scoring stays open like /ping: put /invocations behind the network's own controls.
SERVING_ROUTES: list[tuple[str, str, Rule]] = [
    ("POST", "/invocations", public()),
    ("GET", "/ping", public()),
    ("GET", "/health", public()),
    ("GET", "/version", on(REGISTERED_MODEL, CAN_READ, SERVED_MODEL, SCOPE_READ)),
    ("GET", "/metadata", on(REGISTERED_MODEL, CAN_READ, SERVED_MODEL, SCOPE_READ)),
]


def _entries() -> Iterator[tuple[str, str, Rule]]:
    yield from SERVER_ROUTES
    for prefix in MLFLOW_PREFIXES:
        for method, path, rule in MLFLOW_ROUTES:
            yield method, prefix + path, rule
    for prefix in MLFLOW_V3_PREFIXES:
        for method, path, rule in MLFLOW_V3_ROUTES:
            yield method, prefix + path, rule
    for method, path, rule in CAIRN_ROUTES:
        yield method, CAIRN_PREFIX + path, rule


class RouteTable:
    """Finds the rule for a request: ``match(method, path)`` gives the rule and the path
    parameters, or None when no entry covers the route (refuse it)."""

    def __init__(self, entries: Iterable[tuple[str, str, Rule]]) -> None:
        self.entries = [Entry(method, path, rule, compile_path(path)[0]) for method, path, rule in entries]
        self._exact = {(e.method, e.path): e for e in self.entries if "{" not in e.path}
        self._templated = [e for e in self.entries if "{" in e.path]

    def match(self, method: str, path: str) -> tuple[Rule, dict[str, str]] | None:
        lookup = "GET" if method == "HEAD" else method
        exact = self._exact.get((lookup, path))
        if exact is not None:
            return exact.rule, {}
        for entry in self._templated:
            if entry.method == lookup:
                found = entry.pattern.match(path)
                if found is not None:
                    return entry.rule, found.groupdict()
        return None

    def covers(self, method: str, path_template: str) -> bool:
        """Whether an entry exists for exactly this route (used to enumerate the apps' routes)."""
        lookup = "GET" if method == "HEAD" else method
        return any(e.method == lookup and e.path == path_template for e in self.entries)


ROUTE_TABLE = RouteTable(_entries())
SERVING_ROUTE_TABLE = RouteTable(SERVING_ROUTES)
