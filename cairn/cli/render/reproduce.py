"""``cairn reproduce`` and ``cairn runs branch`` drawn: the plan (``--dry-run``), or the diff of the
original and the re-run followed by the verdict and its reasons.

Takes the same dicts ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render.diff import render_diff
from cairn.cli.render.format import MISSING, SHORT_DIGEST, SHORT_ID, fmt_bytes
from cairn.cli.render.layout import data_section, data_table, grid

PACKAGES_SHOWN = 10
_VERDICT_STYLES = {"identical": "bold green", "equivalent": "bold cyan", "different": "bold red"}


def render_plan(doc: Mapping[str, Any], console: Console) -> None:
    code, env = doc["code"], doc["environment"]
    console.print(Text(f"Plan to re-run {doc['run_name']} ({doc['run_id'][:SHORT_ID]})", style="bold"))
    console.print()
    packages = env["packages"]
    shown = ", ".join(packages[:PACKAGES_SHOWN]) + (f" and {len(packages) - PACKAGES_SHOWN} more"
                                                    if len(packages) > PACKAGES_SHOWN else "")
    cached = env.get("cached")
    rows = {
        "commit": code["commit"] or MISSING,
        "repository": code["repo_url"] or MISSING,
        "patch": fmt_bytes(code["patch_bytes"]) if code["patch_bytes"] else "none (clean checkout)",
        "environment": env["env_manager"] + (f" {env['key']} ({'cached' if cached else 'to build'})"
                                             if env.get("key") else ""),
        "python": f"recorded {env['python_version'] or MISSING}",
        "packages": f"{len(packages)}: {shown}" if packages else "none recorded",
        "command": doc["command"],
        "working dir": doc["working_dir"],
        "seed": doc["seed"] or "none recorded",
    }
    if doc["param_changes"]:
        rows["params"] = ", ".join(f"{k}: {v['from']} → {v['to']}" for k, v in doc["param_changes"].items())
    console.print(grid(rows))
    console.print()
    data_section(console, "Data checks", _checks_table(doc.get("data_checks", [])))
    for problem in doc["problems"]:
        console.print(Text(f"cannot run: {problem}", style="red"))
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="dim"))


def render_reproduction(doc: Mapping[str, Any], console: Console) -> None:
    render_diff(doc["diff"], console)
    data_section(console, "Data checks", _checks_table(doc["data_checks"]))
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="dim"))
    verdict = doc["verdict"]
    console.print(Text.assemble(("Verdict: ", "bold"), (verdict, _VERDICT_STYLES.get(verdict, "bold")),
                                f"   original {doc['original_run_id'][:SHORT_ID]} → re-run {doc['run_id']}"))
    for reason in doc["reasons"]:
        console.print(Text(f"  {reason['kind']}: {reason['message']}"))
    if not doc["reasons"]:
        console.print(Text("  code, data, environment, seeds, params and metrics all match", style="dim"))


def _checks_table(checks: list[Mapping[str, Any]]) -> Any:
    if not checks:
        return Text("no datasets recorded", style="dim")
    table = data_table("dataset", "context", "recorded", "now", "status")
    for check in checks:
        now = check["current"][:SHORT_DIGEST] if check["current"] else MISSING
        status = check["status"] + (f" ({check['note']})" if check.get("note") else "")
        table.add_row(check["name"], check["context"] or MISSING, check["recorded"][:SHORT_DIGEST], now, status)
    return table
