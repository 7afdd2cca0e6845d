"""The deployment half of the REST backend: traffic configuration, plans, the prediction log and
comparisons through Cairn's ``/api/cairn/v1/`` routes, rebuilt into the objects the embedded
store returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Actor
from cairn.registry.deployment_compare import DeploymentComparison
from cairn.registry.deployments import DeploymentConfig, DeploymentPlan
from cairn.registry.predictions import Prediction

from .rest_transport import CAIRN, RestTransport


class RestDeployments(RestTransport):
    """Mixed into ``RestBackend``."""

    def _deployment_call(self, method: str, path: str, params: dict[str, Any] | None = None,
                         body: dict[str, Any] | None = None, actor: Actor | None = None) -> dict[str, Any]:
        return self._request(method, CAIRN + path, body, params, actor=actor)

    def set_deployment(self, name: str, actor: Actor, settings: Mapping[str, Any]) -> DeploymentConfig:
        body = {"name": name, **{k: v for k, v in settings.items() if v is not None}}
        found = self._deployment_call("POST", "/deployments/set", body=body, actor=actor)
        return DeploymentConfig.from_dict(found["deployment"])

    def get_deployment(self, name: str) -> DeploymentConfig:
        found = self._deployment_call("GET", "/deployments/get", {"name": name})
        return DeploymentConfig.from_dict(found["deployment"])

    def resolve_deployment(self, name: str, ref: str | None) -> DeploymentPlan:
        params = {"name": name, **({"ref": ref} if ref is not None else {})}
        return DeploymentPlan.from_dict(self._deployment_call("GET", "/deployments/resolve", params)["plan"])

    def log_predictions(self, records: Sequence[Mapping[str, Any]]) -> int:
        found = self._deployment_call("POST", "/predictions/log-batch", body={"predictions": list(records)})
        return int(found.get("logged", 0))

    def get_prediction(self, prediction_id: str) -> Prediction:
        found = self._deployment_call("GET", "/predictions/get", {"prediction_id": prediction_id})
        return Prediction.from_dict(found["prediction"])

    def search_predictions(self, name: str, since: int | None, until: int | None, version: int | None,
                           arm: str | None, filter_string: str | None, max_results: int) -> list[Prediction]:
        given = {"since": since, "until": until, "version": version, "arm": arm, "filter": filter_string}
        params = {"name": name, "max_results": max_results, **{k: v for k, v in given.items() if v is not None}}
        found = self._deployment_call("GET", "/predictions/search", params)
        return [Prediction.from_dict(p) for p in found.get("predictions", [])]

    def log_outcome(self, prediction_id: str, value: float, actor: Actor) -> None:
        self._deployment_call("POST", "/predictions/outcome", body={"prediction_id": prediction_id, "value": value},
                              actor=actor)

    def compare_deployment(self, name: str, since: int | None, until: int | None) -> DeploymentComparison:
        given = {"since": since, "until": until}
        params = {"name": name, **{k: v for k, v in given.items() if v is not None}}
        found = self._deployment_call("GET", "/deployments/compare", params)
        return DeploymentComparison.from_dict(found["comparison"])

    def flag_counts(self, name: str, since: int | None, until: int | None) -> dict[str, Any]:
        given = {"since": since, "until": until}
        params = {"name": name, **{k: v for k, v in given.items() if v is not None}}
        return dict(self._deployment_call("GET", "/predictions/flag-counts", params)["flag_counts"])

    def explain_prediction(self, prediction_id: str) -> dict[str, Any]:
        found = self._deployment_call("GET", "/predictions/explain", {"prediction_id": prediction_id})
        return dict(found["explanation"])
