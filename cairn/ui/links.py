"""Where the UI's pages live, as links: one place that spells each page's URL, so the lineage
drawing, the tables and the model report link the same way. ``base`` is the UI's root as the
browser sees it (``/`` or a proxy's prefix), or None where there is no UI to link to (a report
printed from the embedded store): then only the forge's commit pages are links.
"""

from __future__ import annotations

from urllib.parse import quote

from .forge_links import commit_url
from .lineage_svg import Linker


def version_path(name: str, version: int | str) -> str:
    return f"models/{quote(name, safe='')}/versions/{version}"


def node_link(base: str | None) -> Linker:
    """A lineage node's page: a dataset's profile, a run, a version, a deployment, a commit."""

    def link(kind: str, node_id: str, a: dict[str, object]) -> str | None:
        if kind == "commit":
            return commit_url(_text(a.get("repo_url")), _text(a.get("commit")))
        if base is None:
            return None
        if kind == "dataset":
            return f"{base}datasets/{quote(str(a.get('digest')), safe='')}"
        if kind == "run" and not a.get("external"):
            return f"{base}runs/{quote(str(a.get('run_id')), safe='')}"
        if kind == "model_version":
            return base + version_path(str(a.get("name")), str(a.get("version")))
        if kind == "deployment":
            return f"{base}deployments/{quote(node_id.removeprefix('deployment:'), safe='')}"
        return None

    return link


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
