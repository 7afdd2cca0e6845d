"""The model report: a model version's dossier as one self-contained, printable HTML document.

The UI serves it at ``models/<name>/versions/<n>/report``; ``cairn models report`` writes the
same document to a file (and prints it to PDF with Chromium). Its stylesheet is inlined, it has
no script, and it draws its charts as inline SVG, so it opens anywhere without a network. Links
into the UI exist only when there is a UI to link to (``base``).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from .assets import STATIC_ROOT
from .forge_links import commit_url
from .lineage_svg import KIND_NAMES, layout
from .links import node_link, version_path
from .pages_models import gantt
from .version_dossier import Dossier

REPORT_STYLESHEETS = ("app.css", "report.css")
MAX_FILES_LISTED = 60


def dossier_context(dossier: Dossier, base: str | None, now: int) -> dict[str, Any]:
    """What ``_dossier.html`` draws: the document, the timeline chart and the lineage drawing."""
    d = dossier.doc
    code = d.get("code") or {}
    v = d["version"]
    return {
        "d": d, "gantt": gantt(dossier.intervals, now), "kind_names": KIND_NAMES,
        "drawing": layout(dossier.lineage, node_link(base)) if dossier.lineage is not None else None,
        "commit_href": commit_url(code.get("remote"), code.get("commit")), "max_files": MAX_FILES_LISTED,
        "report": False, "report_path": version_path(v["name"], v["version"]) + "/report",
        "version_path": version_path(v["name"], v["version"]),
    }  # fmt: skip


def render_report(env: Environment, dossier: Dossier, *, base: str | None, origin: str, now: int) -> str:
    """The report's HTML. ``origin`` says where the facts were read (a store, a server)."""
    css = "\n".join((STATIC_ROOT / name).read_text(encoding="utf-8") for name in REPORT_STYLESHEETS)
    context = dossier_context(dossier, base, now)
    context.update(base=base, report=True, css=css, origin=origin, generated=now)
    return env.get_template("report.html").render(**context)
