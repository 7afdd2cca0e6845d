"""The retention part of the REST backend: Cairn's ``/api/cairn/v1/`` retention routes."""

from __future__ import annotations

from typing import Any

from cairn.entities import Actor, CollectedArtifacts, CollectedRun, GcReport, RetentionEvent, RetentionPolicy

from .rest_transport import CAIRN, RestTransport, given


class RestRetention(RestTransport):
    """Mixed into ``RestBackend``."""

    def set_retention_policy(self, experiment_id: str, keep_last: int | None, keep_days: int | None,
                             actor: Actor) -> RetentionPolicy:
        body = {"experiment_id": experiment_id, **given(keep_last=keep_last, keep_days=keep_days)}
        return _policy(self._request("POST", CAIRN + "/experiments/retention", body, actor=actor)["policy"])

    def get_retention_policy(self, experiment_id: str) -> RetentionPolicy | None:
        found = self._request("GET", CAIRN + "/experiments/retention", params={"experiment_id": experiment_id})
        return _policy(found["policy"]) if "policy" in found else None

    def clear_retention_policy(self, experiment_id: str, actor: Actor) -> None:
        self._request("DELETE", CAIRN + "/experiments/retention", {"experiment_id": experiment_id}, actor=actor)

    def collect_garbage(self, actor: Actor, dry_run: bool, grace_days: int | None) -> GcReport:
        body = {"dry_run": dry_run, **given(grace_days=grace_days)}
        found = self._request("POST", CAIRN + "/gc", body, actor=actor)
        return GcReport(
            dry_run=bool(found["dry_run"]), runs=tuple(CollectedRun(**r) for r in found.get("runs", [])),
            versions=tuple(CollectedArtifacts(**v) for v in found.get("versions", [])),
            bytes_freed=int(found.get("bytes_freed", 0)),
        )

    def list_retention_events(self, experiment_id: str | None, run_id: str | None,
                              max_results: int) -> list[RetentionEvent]:
        params = {"max_results": max_results, **given(experiment_id=experiment_id, run_id=run_id)}
        found = self._request("GET", CAIRN + "/retention/events", params=params)
        return [RetentionEvent(**e) for e in found.get("events", [])]


def _policy(p: dict[str, Any]) -> RetentionPolicy:
    return RetentionPolicy(str(p["experiment_id"]), p.get("keep_last"), p.get("keep_days"), p.get("updated_time"),
                           p.get("updated_by"))
