"""The UI's routes, mounted by the server at its root.

Pages answer GET and change nothing; the model page's forms POST to its actions
(``actions_models``), each with a CSRF token. Static files are under ``/static/`` with hashed
names (``assets``). With ``sign_in`` (a server with ``--auth``) the login and logout routes are
mounted too (``login``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import grid_data, pages_artifacts, run_data
from .actions_models import action_routes
from .assets import Assets
from .pages_compare import compare_page
from .pages_datasets import dataset_routes
from .pages_deployments import deployment_routes
from .login import login_routes
from .pages_experiments import experiments_page
from .pages_models import model_page, models_page
from .pages_run import run_page
from .pages_runs import runs_page
from .pages_versions import version_routes
from .templating import Pages


def routes(*, sign_in: bool = False) -> list[BaseRoute]:
    assets = Assets()
    pages = Pages(assets)
    return [
        *(login_routes(pages) if sign_in else []),
        Route("/", experiments_page(pages), methods=["GET"]),
        Route("/experiments/{experiment_id}", runs_page(pages), methods=["GET"]),
        Route("/experiments/{experiment_id}/runs-table", grid_data.runs_table(pages), methods=["GET"]),
        Route("/experiments/{experiment_id}/runs-groups", grid_data.runs_groups(pages), methods=["GET"]),
        Route("/runs/{run_id}", run_page(pages), methods=["GET"]),
        Route("/runs/{run_id}/artifacts", pages_artifacts.listing_part(pages), methods=["GET"]),
        Route("/runs/{run_id}/preview", pages_artifacts.preview_part(pages), methods=["GET"]),
        Route("/runs/{run_id}/image", pages_artifacts.image(pages), methods=["GET"]),
        Route("/runs/{run_id}/download", run_data.download(pages), methods=["GET"]),
        Route("/runs/{run_id}/metric-series", run_data.metric_series(pages), methods=["GET"]),
        Route("/runs/{run_id}/metric-history.csv", run_data.metric_csv(pages), methods=["GET"]),
        Route("/models", models_page(pages), methods=["GET"]),
        *(Route(path, handler, methods=["POST"]) for path, handler in action_routes(pages)),
        *version_routes(pages),  # before models/{name:path}, which would take them whole
        Route("/models/{name:path}", model_page(pages), methods=["GET"]),
        Route("/static/{name:path}", assets.serve, methods=["GET"]),
        Route("/compare", compare_page(pages), methods=["GET"]),
        *deployment_routes(pages),
        *dataset_routes(pages),
    ]
