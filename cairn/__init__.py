"""Cairn: experiment tracking and a model registry that answer "what is in production, and what
went into it", with an SDK that needs no server and a server that speaks MLflow's REST API.

    import cairn
    cairn.set_experiment("churn")
    with cairn.start_run():
        cairn.log_param("lr", 0.1)
        for step in range(100):
            cairn.log_metric("loss", 1 / (step + 1), step=step)
"""

from cairn.client.client import Client
from cairn.client.fluent import (
    ActiveRun,
    active_run,
    end_run,
    flush,
    get_artifact_uri,
    get_run,
    get_tracking_uri,
    load_model,
    log_artifact,
    log_artifacts,
    log_dataset,
    log_dict,
    log_figure,
    log_metric,
    log_metrics,
    log_model,
    log_outcome,
    log_param,
    log_params,
    log_text,
    register_model,
    search_runs,
    seed_everything,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from cairn.client.media_fluent import list_media, log_image, log_table
from cairn.client.reproduce import reproduce
from cairn.entities import Metric, Param, Run, RunTag, ViewType
from cairn.errors import AlreadyExists, CairnError, InvalidParameter, NotFound
from cairn.models.signature import infer_signature
from cairn.web.version import cairn_version

__version__ = cairn_version()

# Integration namespaces, loaded on first use so `import cairn` never imports their libraries:
# `cairn.optuna.callback()` (or `from cairn import optuna`).
_LAZY_MODULES = {"optuna": "cairn.client.optuna_callback"}


def __getattr__(name: str) -> object:
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(_LAZY_MODULES[name])
    raise AttributeError(f"module 'cairn' has no attribute '{name}'")


__all__ = [
    "ActiveRun", "AlreadyExists", "CairnError", "Client", "InvalidParameter", "Metric", "NotFound",
    "Param", "Run", "RunTag", "ViewType", "active_run", "end_run", "flush", "get_artifact_uri",
    "get_run", "get_tracking_uri", "log_artifact", "log_artifacts", "log_dict", "log_figure",
    "log_metric", "log_metrics", "log_param", "log_params", "log_text", "search_runs",
    "seed_everything", "set_experiment", "set_tag", "set_tags", "set_tracking_uri", "start_run",
    "register_model",
    "log_dataset",
    "log_model", "load_model", "infer_signature",
    "log_outcome",
    "reproduce",
    "log_image", "log_table", "list_media",
]
