"""The deployment and prediction-log methods of ``Client``.

Each delegates to the backend's deployment part (``cairn.registry`` on an embedded store, or a
server's ``/api/cairn/v1/deployments`` and ``/predictions`` routes); both return the same
objects: ``DeploymentConfig``, ``DeploymentPlan``, ``Prediction`` and ``DeploymentComparison``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cairn.registry.deployment_compare import DeploymentComparison
from cairn.registry.deployments import DeploymentConfig, DeploymentPlan
from cairn.registry.predictions import Prediction

from .backends.base import Backend
from .times import to_ms_or_none
from .users import actor_of


class DeploymentMethods:
    """Mixed into ``Client``.

    >>> client = Client()
    >>> client.set_deployment("churn", canary_version=3, canary_percent=10, reason="try v3")
    >>> client.set_deployment("churn", shadow_version=4)
    >>> client.compare_deployment("churn").agreement
    >>> client.log_outcome(prediction_id, 1.0)
    """

    _backend: Backend

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
        return self._backend.set_deployment(name, actor_of(user), settings)

    def get_deployment(self, name: str) -> DeploymentConfig:
        return self._backend.get_deployment(name)

    def resolve_deployment(self, name: str, ref: str | None = None) -> DeploymentPlan:
        """The versions serving ``name`` now, per arm (``ref`` pins the primary)."""
        return self._backend.resolve_deployment(name, ref)

    def log_predictions(self, records: Sequence[Mapping[str, Any]]) -> int:
        return self._backend.log_predictions(records)

    def get_prediction(self, prediction_id: str) -> Prediction:
        """The logged prediction: version, arm, source run, features, output, outcome."""
        return self._backend.get_prediction(prediction_id)

    def search_predictions(self, name: str, *, since: int | datetime | None = None,
                           until: int | datetime | None = None, version: int | None = None, arm: str | None = None,
                           filter_string: str | None = None, max_results: int = 100) -> list[Prediction]:
        """``name``'s logged predictions, newest first."""
        return self._backend.search_predictions(
            name, to_ms_or_none(since), to_ms_or_none(until), version, arm, filter_string, max_results)

    def log_outcome(self, prediction_id: str, value: float, *, user: str | None = None) -> None:
        """Join what really happened (a label, a conversion) back to a served prediction."""
        self._backend.log_outcome(prediction_id, value, actor_of(user))

    def compare_deployment(self, name: str, *, since: int | datetime | None = None,
                           until: int | datetime | None = None) -> DeploymentComparison:
        """Per-arm counts, errors, latency and outcomes, and agreement between arms."""
        return self._backend.compare_deployment(name, to_ms_or_none(since), to_ms_or_none(until))

    def flag_counts(self, name: str, *, since: int | datetime | None = None,
                    until: int | datetime | None = None) -> dict[str, Any]:
        """How many of ``name``'s served predictions had features outside the training ranges, per
        version and feature (``registry.predictions.flag_counts``)."""
        return self._backend.flag_counts(name, to_ms_or_none(since), to_ms_or_none(until))

    def explain_prediction(self, prediction_id: str) -> dict[str, Any]:
        """Why this prediction: version and source run, arm and traffic rule, features, flags,
        output, outcome, and the gates the version passed (``registry.explain``)."""
        return self._backend.explain_prediction(prediction_id)
