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

from .deployments import ARM_A, ARM_B, CANARY, PRIMARY, SHADOW, resolve_plan


def deployment_edges(db: Database, version: ModelVersion) -> list[tuple[LineageNode, dict[str, Any]]]:
    try:
        plan = resolve_plan(db, version.name)
    except NotFound:  # nothing in Production and no primary alias: nothing is served
        return []
    ab = plan.ab_version is not None
    arms = {
        plan.primary_version: (ARM_A if ab else PRIMARY, 1.0 - (plan.canary_share or plan.ab_share)),
        plan.canary_version: (CANARY, plan.canary_share),
        plan.ab_version: (ARM_B, plan.ab_share),
        plan.shadow_version: (SHADOW, 0.0),
    }
    if version.version not in arms:
        return []
    arm, share = arms[version.version]
    node = LineageNode(f"deployment:{version.name}", "deployment", f"deployment {version.name}",
                       {"primary": plan.primary_ref, "revision": plan.revision})
    return [(node, {"arm": arm, "share": round(share, 6)})]


register_deployment_finder(deployment_edges)
