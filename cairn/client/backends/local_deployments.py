"""The deployment half of ``LocalBackend``: traffic configuration, plans, the prediction log and
comparisons through ``cairn.registry`` on the embedded store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Actor
from cairn.registry import deployment_compare, deployments, explain, predictions
from cairn.registry.deployment_compare import DeploymentComparison
from cairn.registry.deployments import DeploymentConfig, DeploymentPlan
from cairn.registry.predictions import Prediction
from cairn.store.database import Database


class LocalDeployments:
    """Mixed into ``LocalBackend``."""

    db: Database

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

    def flag_counts(self, name: str, since: int | None, until: int | None) -> dict[str, Any]:
        return predictions.flag_counts(self.db, name, since, until)

    def explain_prediction(self, prediction_id: str) -> dict[str, Any]:
        return explain.explain_prediction(self.db, prediction_id)
