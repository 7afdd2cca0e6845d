"""The deployment and prediction-log methods of ``Client``.

Embedded, they call ``cairn.registry`` on the store's database; against a server they go
through its ``/api/cairn/v1/deployments`` and ``/predictions`` routes (``RestDeployments``). Both
paths return the same objects: ``DeploymentConfig``, ``DeploymentPlan``, ``Prediction`` and
``DeploymentComparison``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cairn.entities import Actor
from cairn.errors import CairnError
from cairn.registry import deployment_compare, deployments, predictions
from cairn.registry.deployment_compare import DeploymentComparison
from cairn.registry.deployments import DeploymentConfig, DeploymentPlan
from cairn.registry.predictions import Prediction

from .registry_methods import acting_user, to_ms


class LocalDeployments:
    """The deployment calls on an embedded store's database."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def set_deployment(self, name: str, actor: Actor, settings: Mapping[str, Any]) -> DeploymentConfig:
        return deployments.set_deployment(self.db, name, actor, **settings)

    def get_deployment(self, name: str) -> DeploymentConfig:
        return deployments.get_deployment(self.db, name)

    def resolve_deployment(self, name: str, ref: str | None) -> DeploymentPlan:
        return deployments.resolve_plan(self.db, name, ref)

    def log_predictions(self, records: Sequence[Mapping[str, Any]]) -> int:
        return predictions.log_predictions(self.db, records)

    def get_prediction(self, prediction_id: str) -> Prediction:
        return predictions.get_prediction(self.db, prediction_id)

    def search_predictions(self, name: str, since: int | None, until: int | None, version: int | None,
                           arm: str | None, filter_string: str | None, max_results: int) -> list[Prediction]:
        return predictions.search_predictions(self.db, name, since, until, version, arm, filter_string, max_results)

    def log_outcome(self, prediction_id: str, value: float, actor: Actor) -> None:
        predictions.log_outcome(self.db, prediction_id, value, actor)

    def compare_deployment(self, name: str, since: int | None, until: int | None) -> DeploymentComparison:
        return deployment_compare.compare_deployment(self.db, name, since, until)


class DeploymentMethods:
    """Mixed into ``Client``.

    >>> client = Client()
    >>> client.set_deployment("churn", canary_version=3, canary_percent=10, reason="try v3")
    >>> client.set_deployment("churn", shadow_version=4)
    >>> client.compare_deployment("churn").agreement
    >>> client.log_outcome(prediction_id, 1.0)
    """

    _backend: Any

    def set_deployment(self, name: str, *, canary_version: int | str | None = None,
                       canary_percent: float | None = None, shadow_version: int | str | None = None,
                       ab_version: int | str | None = None, ab_split: float | None = None,
                       ab_key: str | None = None, primary_alias: str | None = None, remove: Sequence[str] = (),
                       clear: bool = False, reason: str | None = None, user: str | None = None) -> DeploymentConfig:
        """Change how ``name``'s traffic is served (see ``cairn.registry.deployments``); audited.
        Serving processes pick the change up within seconds."""
        settings = {"canary_version": canary_version, "canary_percent": canary_percent,
                    "shadow_version": shadow_version, "ab_version": ab_version, "ab_split": ab_split,
                    "ab_key": ab_key, "primary_alias": primary_alias, "remove": list(remove), "clear": clear,
                    "reason": reason}
        return self._deployments().set_deployment(name, Actor(acting_user(user)), settings)

    def get_deployment(self, name: str) -> DeploymentConfig:
        return self._deployments().get_deployment(name)

    def resolve_deployment(self, name: str, ref: str | None = None) -> DeploymentPlan:
        """The versions serving ``name`` now, per arm (``ref`` pins the primary)."""
        return self._deployments().resolve_deployment(name, ref)

    def log_predictions(self, records: Sequence[Mapping[str, Any]]) -> int:
        return self._deployments().log_predictions(records)

    def get_prediction(self, prediction_id: str) -> Prediction:
        """The logged prediction: version, arm, source run, features, output, outcome."""
        return self._deployments().get_prediction(prediction_id)

    def search_predictions(self, name: str, *, since: int | datetime | None = None,
                           until: int | datetime | None = None, version: int | None = None, arm: str | None = None,
                           filter_string: str | None = None, max_results: int = 100) -> list[Prediction]:
        """``name``'s logged predictions, newest first."""
        return self._deployments().search_predictions(
            name, _ms(since), _ms(until), version, arm, filter_string, max_results)

    def log_outcome(self, prediction_id: str, value: float, *, user: str | None = None) -> None:
        """Join what really happened (a label, a conversion) back to a served prediction."""
        self._deployments().log_outcome(prediction_id, value, Actor(acting_user(user)))

    def compare_deployment(self, name: str, *, since: int | datetime | None = None,
                           until: int | datetime | None = None) -> DeploymentComparison:
        """Per-arm counts, errors, latency and outcomes, and agreement between arms."""
        return self._deployments().compare_deployment(name, _ms(since), _ms(until))

    def _deployments(self) -> Any:
        backend = self._backend
        if getattr(backend, "serves_deployments", False):
            return backend
        db = getattr(backend, "db", None)
        if db is None:
            raise CairnError(f"The {type(backend).__name__} has no deployments; use an embedded store or a server.")
        return LocalDeployments(db)


def _ms(at: int | datetime | None) -> int | None:
    return None if at is None else to_ms(at)
