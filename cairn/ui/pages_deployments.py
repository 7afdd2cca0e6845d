"""Deployments: every model that has a traffic configuration or served predictions; one
deployment's traffic split per arm, the arms compared from the prediction log (what ``cairn
deployments show`` and ``compare`` print), its predictions filtered and paged on the server; and
one prediction (version, arm, features, output, outcome).

Every read is a ``Client`` call the CLI makes (``get_deployment``, ``resolve_deployment``,
``compare_deployment``, ``search_predictions``, ``get_prediction``), over the server's store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.entities import Prediction
from cairn.errors import CairnError
from cairn.registry.arms import ARMS, SHADOW
from cairn.registry.deployment_compare import DeploymentComparison
from cairn.registry.deployments import DeploymentConfig, DeploymentPlan

from .pages import Handler, page
from .prediction_query import PredictionPage, PredictionQuery, load_page, read_query
from .store_client import client_of
from .templating import Pages
from .visibility import REGISTERED_MODEL, readable_names

MAX_MODELS_SCANNED = 500
MAX_VERSIONS_LISTED = 1000
MAX_FEATURES_SHOWN = 6


@dataclass
class DeploymentRow:
    config: DeploymentConfig
    last_prediction: Prediction | None


@dataclass(frozen=True)
class Arm:
    arm: str
    version: int
    share: float  # of the requests it answers; a shadow answers none, it gets copies


def _list(client: Any, request: Request) -> tuple[list[DeploymentRow], bool]:
    page_of_models = client.search_registered_models(max_results=MAX_MODELS_SCANNED)
    readable = readable_names(request, REGISTERED_MODEL, [m.name for m in page_of_models.items])
    rows = []
    for model in (m for m in page_of_models.items if m.name in readable):
        config = client.get_deployment(model.name)
        last = client.search_predictions(model.name, max_results=1)
        if config.revision or last:
            rows.append(DeploymentRow(config, last[0] if last else None))
    return rows, page_of_models.next_page_token is not None


def deployments_page(pages: Pages) -> Handler:
    """Every deployment of a model the caller may read; ``?format=json`` answers the rows (each
    deployment's configuration and latest prediction)."""

    @page(pages)
    async def handler(request: Request) -> Response:
        rows, more = await run_in_threadpool(_list, client_of(request), request)
        twin = {"deployments": rows, "more": more}
        return pages.render(request, "deployments.html", twin=twin, rows=rows, more=more, scanned=MAX_MODELS_SCANNED,
                            section="deployments", title="Deployments")

    return handler


def arms_of(plan: DeploymentPlan) -> list[Arm]:
    return [Arm(arm, version, share) for arm, (version, share) in plan.arm_shares().items()]


def _deployment(client: Any, name: str, query: PredictionQuery) -> dict[str, Any]:
    config: DeploymentConfig = client.get_deployment(name)
    plan: DeploymentPlan | None = None
    plan_error = None
    try:
        plan = client.resolve_deployment(name)
    except CairnError as exc:
        plan_error = exc.message
    since, until = query.window()
    comparison: DeploymentComparison = client.compare_deployment(name, since=since, until=until)
    versions = client.search_model_versions(name=name, max_results=MAX_VERSIONS_LISTED).items
    predictions: PredictionPage = load_page(client, name, query)
    return {
        "config": config, "plan": plan, "plan_error": plan_error, "arms": arms_of(plan) if plan else [],
        "comparison": comparison, "versions": sorted(v.version for v in versions), "predictions": predictions,
    }


def deployment_page(pages: Pages) -> Handler:
    """One deployment. JSON twins: ``/api/cairn/v1/deployments/get``, ``/deployments/resolve``,
    ``/deployments/compare?since=&until=`` and ``/predictions/search`` (same filters; the cursor
    is ``until`` = ``before``)."""

    @page(pages)
    async def handler(request: Request) -> Response:
        name = request.path_params["name"]
        query = read_query(request.query_params)
        context = await run_in_threadpool(_deployment, client_of(request), name, query)
        return pages.render(request, "deployment.html", name=name, query=query, all_arms=ARMS, shadow=SHADOW,
                            features_text=features_text, section="deployments", title=f"Deployment {name}",
                            **context)

    return handler


def prediction_page(pages: Pages) -> Handler:
    """One prediction. JSON twin: ``/api/cairn/v1/predictions/get?prediction_id=ID``."""

    @page(pages)
    async def handler(request: Request) -> Response:
        found: Prediction = await run_in_threadpool(client_of(request).get_prediction,
                                                    request.path_params["prediction_id"])
        features = found.features if isinstance(found.features, dict) else None
        return pages.render(request, "prediction.html", p=found, features=features, pretty=pretty,
                            section="deployments", title=f"Prediction {found.prediction_id}")

    return handler


def features_text(features: Any) -> str:
    """A row's features in one short line for the table (the prediction's page shows them all)."""
    if isinstance(features, dict):
        items = list(features.items())
        text = ", ".join(f"{k}={_compact(v)}" for k, v in items[:MAX_FEATURES_SHOWN])
        return text + (f", … ({len(items) - MAX_FEATURES_SHOWN} more)" if len(items) > MAX_FEATURES_SHOWN else "")
    return _compact(features)


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:59] + "…"


def deployment_routes(pages: Pages) -> list[Route]:
    return [
        Route("/deployments", deployments_page(pages), methods=["GET"]),
        Route("/deployments/{name:path}", deployment_page(pages), methods=["GET"]),
        Route("/predictions/{prediction_id}", prediction_page(pages), methods=["GET"]),
    ]
