"""Cairn: experiment tracking and a model registry that answer "what is in production, and what
went into it", with an SDK that needs no server and a server that speaks MLflow's REST API.

    import cairn
    cairn.set_experiment("churn")
    with cairn.start_run():
        cairn.log_param("lr", 0.1)
        for step in range(100):
            cairn.log_metric("loss", 1 / (step + 1), step=step)
"""

# The names below are imported on first use (PEP 562), so ``import cairn`` (and every ``cairn``
# command, which imports this package first) does not pay for the SDK, the store and the HTTP
# client until it needs them.
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.client.media_fluent import list_media, log_image, log_table
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
        log_slice_metrics,
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
    from cairn.client.reproduce import reproduce
    from cairn.entities import Metric, Param, Run, RunTag, ViewType
    from cairn.errors import AlreadyExists, CairnError, InvalidParameter, NotFound
    from cairn.integrations.autolog import autolog
    from cairn.models.signature import infer_signature

_LAZY: dict[str, tuple[str, ...]] = {
    "cairn.client.client": ("Client",),
    "cairn.client.fluent": (
        "ActiveRun", "active_run", "end_run", "flush", "get_artifact_uri", "get_run", "get_tracking_uri",
        "load_model", "log_artifact", "log_artifacts", "log_dataset", "log_dict", "log_figure", "log_metric",
        "log_metrics", "log_model", "log_outcome", "log_param", "log_params", "log_slice_metrics", "log_text", "register_model",
        "search_runs", "seed_everything", "set_experiment", "set_tag", "set_tags", "set_tracking_uri", "start_run",
    ),
    "cairn.client.media_fluent": ("list_media", "log_image", "log_table"),
    "cairn.client.reproduce": ("reproduce",),
    "cairn.entities": ("Metric", "Param", "Run", "RunTag", "ViewType"),
    "cairn.errors": ("AlreadyExists", "CairnError", "InvalidParameter", "NotFound"),
    "cairn.integrations.autolog": ("autolog",),
    "cairn.models.signature": ("infer_signature",),
}  # fmt: skip
# ``cairn.sklearn.autolog()`` and the like: each framework's module, imported when first named.
_INTEGRATIONS = {name: f"cairn.integrations.{name}" for name in ("sklearn", "xgboost", "lightgbm", "lightning",
                                                                   "transformers")}
_INTEGRATIONS["optuna"] = "cairn.integrations.optuna_callback"  # the callback with the SDK's client and run
_WHERE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from cairn.web.version import cairn_version

        value: Any = cairn_version()
    elif name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name]), name)
    elif name in _INTEGRATIONS:
        import importlib

        value = importlib.import_module(_INTEGRATIONS[name])
    else:
        raise AttributeError(f"module 'cairn' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE, *_INTEGRATIONS, "__version__"})

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
    "log_slice_metrics",
    "reproduce",
    "autolog",
    "log_image", "log_table", "list_media",
]
