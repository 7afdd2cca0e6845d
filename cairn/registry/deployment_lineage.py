"""Deployments in lineage: a model version's node gets a ``deployed`` edge to its model's
deployment when the version serves one of its arms now (primary, canary, shadow or A/B).

Registered with ``tracking.lineage`` when ``cairn.registry`` is imported, so the lineage walk
(which lives below the registry) shows deployments without importing them itself.
"""

from __future__ import annotations

from typing import Any

from cairn.entities import ModelVersion
from cairn.errors import NotFound
from cairn.store.database import Database
from cairn.tracking.lineage import LineageNode, register_deployment_finder

from .deployments import resolve_plan


def deployment_edges(db: Database, version: ModelVersion) -> list[tuple[LineageNode, dict[str, Any]]]:
    try:
        plan = resolve_plan(db, version.name)
    except NotFound:  # nothing in Production and no primary alias: nothing is served
        return []
    served = [(arm, share) for arm, (number, share) in plan.arm_shares().items() if number == version.version]
    if not served:
        return []
    arm, share = served[0]
    node = LineageNode(f"deployment:{version.name}", "deployment", f"deployment {version.name}",
                       {"primary": plan.primary_ref, "revision": plan.revision})
    return [(node, {"arm": arm, "share": share})]


register_deployment_finder(deployment_edges)
