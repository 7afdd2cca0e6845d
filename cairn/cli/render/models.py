"""Rich rendering of the ``cairn models`` documents built by ``views.models``.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cairn.cli.render import evidence, layout
from cairn.cli.render.format import (
    MISSING,
    SHORT_ID,
    fmt_bytes,
    fmt_duration,
    fmt_number,
    fmt_time,
)
from cairn.cli.render.layout import grid, section

_STAGE_STYLES = {"Production": "bold green", "Staging": "yellow", "Archived": "dim", "None": ""}
GANTT_MAX_WIDTH = 60
_FILLED, _EMPTY = "█", "·"


def stage_text(stage: str | None) -> Text:
    return Text(stage or MISSING, style=_STAGE_STYLES.get(stage or "", ""))


def _who(name: str | None, verified: bool | None = False) -> str:
    if not name:
        return MISSING
    return name if verified else f"{name} (unverified)"


_NO_WRAP = {"#", "Time", "From", "Until", "When", "Registered", "Version", "Action", "Served", "For"}


def _table(*columns: str) -> Table:
    return layout.table(*columns, no_wrap=_NO_WRAP)


# lists ---------------------------------------------------------------------------------------
def render_models(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["models"]:
        console.print("No registered models. Register one with `cairn models register runs:/<run_id>/model NAME`.")
        return
    table = _table("Name", "Latest", "Production", "Staging", "Aliases", "Updated")
    for m in doc["models"]:
        aliases = ", ".join(f"@{a}→v{v}" for a, v in sorted(m["aliases"].items()))
        table.add_row(Text(m["name"], style="bold"), _v(m["latest_version"]), _v(m["production_version"]),
                      _v(m["staging_version"]), aliases, fmt_time(m["last_updated_timestamp"]))
    if doc["has_more"]:
        table.caption = "More models match; raise --max to see them."
    console.print(table)


def render_versions(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["versions"]:
        console.print(f"Model '{doc['name']}' has no versions.")
        return
    table = _table("Version", "Stage", "Aliases", "Run", "Registered", "By", "Retained until", "Source")
    for v in doc["versions"]:
        table.add_row(f"v{v['version']}", stage_text(v["stage"]), " ".join(f"@{a}" for a in v["aliases"]),
                      (v["run_id"] or MISSING)[:SHORT_ID], fmt_time(v["creation_timestamp"]), v["user_id"],
                      fmt_time(v["artifacts_retained_until"]) if v["artifacts_retained_until"] else "", v["source"])
    console.print(table)


def render_version(doc: Mapping[str, Any], console: Console) -> None:
    aliases = " ".join(f"@{a}" for a in doc["aliases"])
    line = Text(f"{doc['name']} v{doc['version']}  ")
    line.append_text(stage_text(doc["stage"]))
    if aliases:
        line.append(f"  {aliases}", style="cyan")
    line.append(f"  {doc['source']}", style="dim")
    console.print(line)


def render_requests(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["requests"]:
        console.print("No transition requests.")
        return
    table = _table("#", "Model", "Version", "From → To", "Requested by", "When", "Status", "Reason")
    for r in doc["requests"]:
        table.add_row(str(r["request_id"]), r["name"], f"v{r['version']}", f"{r['from']} → {r['to']}",
                      r["requested_by"], fmt_time(r["requested_time"]), r["status"], r["reason"] or "")
    console.print(table)


# transitions ---------------------------------------------------------------------------------
def render_outcome(doc: Mapping[str, Any], console: Console) -> None:
    v = doc["model_version"]
    if doc["request"] is not None and not doc["applied"]:
        r = doc["request"]
        console.print(f"Sign-off requested: request #{r['request_id']} to move {v['name']} v{v['version']} "
                      f"{r['from']} → {r['to']} waits for another user "
                      f"(cairn models approve {v['name']} {v['version']}).")
    else:
        line = Text(f"{v['name']} v{v['version']} is now ")
        line.append_text(stage_text(v["stage"]))
        if doc["archived_versions"]:
            line.append(f"; archived {', '.join(f'v{n}' for n in doc['archived_versions'])}")
        console.print(line)
    if doc["gate_results"]:
        render_gates(doc["gate_results"], console)


def render_collected(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["versions"]:
        console.print("No archived version has outlived its retention.")
        return
    verb = "Would delete" if doc["dry_run"] else "Deleted"
    table = _table("Model", "Version", "Kept until", "Files", "Source")
    for c in doc["versions"]:
        files = Text(verb.lower(), style="red") if c["kept_reason"] is None else Text(f"kept: {c['kept_reason']}")
        table.add_row(c["model_name"], str(c["version"]), fmt_time(c["retained_until"]), files, c["source"])
    console.print(table)


def render_gates(gates: Sequence[Mapping[str, Any]], console: Console) -> None:
    table = _table("Gate", "Result", "Observed", "Required", "Hint")
    for g in gates:
        result = Text("pass", style="green") if g["passed"] else Text("FAIL", style="bold red")
        table.add_row(g["name"], result, g["observed"], g["threshold"], g.get("hint") or "")
    console.print(table)


def render_policy(doc: Mapping[str, Any], console: Console) -> None:
    policy = doc["policy"]
    target = f"model '{doc['name']}'" if doc["name"] else "models without their own policy"
    if policy is None:
        console.print(f"No server default policy; {target} use the built-in one (every MLflow transition allowed).")
        return
    metrics = ", ".join(f"{m['key']} {m['op']} {m['threshold']:g}" for m in policy["required_metrics"])
    console.print(Panel(grid({
        "applies to": f"{target} ({doc['scope']} policy)",
        "None → Production": "allowed" if policy["allow_direct_to_production"] else "forbidden",
        "staging first": "required" if policy["require_staging_first"] else "no",
        "min time in Staging": fmt_duration(policy["min_staging_ms"]) if policy["min_staging_ms"] else "none",
        "required metrics": metrics or "none",
        "signature": "required" if policy["require_signature"] else "no",
        "input example": "required" if policy["require_input_example"] else "no",
        "sign-off for Production": ("another user, not the version's creator" if policy.get("signoff_excludes_creator")
                                    else "another user") if policy["require_signoff"] else "no",
        **evidence.policy_rows(policy),
        "metric/model gates on": ", ".join(policy["gated_stages"]),
        "previous Production version": (
            f"on standby {fmt_duration(policy['archive_previous_after_ms'])}, then archived"
            if policy.get("archive_previous_after_ms") else "archived at once"),
        "archived artifacts kept": f"{policy['retention_days']} days",
    }), title=Text("Promotion policy", style="bold"), title_align="left", expand=False))


# history -------------------------------------------------------------------------------------
def render_audit(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["events"]:
        console.print(f"No audit events for '{doc['name']}'.")
        return
    table = _table("#", "Time", "Action", "Version", "Change", "Actor", "Reason", "Gates")
    for e in doc["events"]:
        table.add_row(str(e["event_id"]), fmt_time(e["timestamp"]), e["action"], _v(e["version"]), _change(e),
                      _who(e["actor"], e["actor_verified"]), e["reason"] or "", _gates_summary(e["gate_results"]))
    console.print(table)


def _change(e: Mapping[str, Any]) -> str:
    if e["action"] == "version_created":
        return "registered"
    if e["alias"]:
        old = f"v{e['from']}" if e["from"] else "—"
        new = f"v{e['to']}" if e["to"] else "—"
        return f"@{e['alias']}: {old} → {new}"
    note = " (skipped Staging)" if e["details"].get("skipped_staging") else ""
    if e["from"] or e["to"]:
        return f"{e['from'] or MISSING} → {e['to'] or MISSING}{note}"
    return ""


def _gates_summary(gates: Sequence[Mapping[str, Any]]) -> Text:
    text = Text()
    for i, g in enumerate(gates):
        if i:
            text.append(" ")
        text.append(g["name"], style="green" if g["passed"] else "bold red")
    return text


def render_timeline(doc: Mapping[str, Any], console: Console) -> None:
    intervals = doc["intervals"]
    if not intervals:
        console.print(f"'{doc['name']}' has never had a version in Production.")
    else:
        table = _table("Served", "Version", "From", "Until", "For", "Put there by", "Approved by", "Reason")
        for i in intervals:
            label = {"stage": "Production", "standby": "Standby"}.get(i["kind"], f"@{i['label']}")
            until = fmt_time(i["end"]) if i["end"] is not None else Text("now", style="bold green")
            table.add_row(label, f"v{i['version']}", fmt_time(i["start"]), until,
                          fmt_duration((i["end"] if i["end"] is not None else doc["now"]) - i["start"]),
                          _who(i["started_by"], i["started_by_verified"]), i["approved_by"] or "", i["reason"] or "")
        console.print(table)
        console.print()
        console.print(gantt(intervals, doc["now"], min(GANTT_MAX_WIDTH, max(console.width - 24, 10))))
    at = doc["at"]
    if at is not None:
        production = at["production"]
        answer = (f"v{production['version']} was in Production (since {fmt_time(production['start'])}, "
                  f"put there by {_who(production['started_by'], production['started_by_verified'])})"
                  if production else "no version was in Production")
        aliases = ", ".join(f"@{a['label']} → v{a['version']}" for a in at["aliases"])
        console.print()
        console.print(Text(f"At {fmt_time(at['time'])}: {answer}." + (f" Aliases: {aliases}." if aliases else ""),
                           style="bold"))


def gantt(intervals: Sequence[Mapping[str, Any]], now: int, width: int) -> Text:
    """One row per version in Production (and per alias target), ``█`` where it served."""
    start = min(i["start"] for i in intervals)
    end = max(max((i["end"] if i["end"] is not None else now) for i in intervals), start + 1)
    step = (end - start) / width
    rows: dict[str, list[tuple[int, int]]] = {}
    for i in intervals:
        label = {"stage": f"v{i['version']}", "standby": f"v{i['version']} standby"}.get(
            i["kind"], f"@{i['label']} v{i['version']}")
        rows.setdefault(label, []).append((i["start"], i["end"] if i["end"] is not None else end))
    label_width = max(len(label) for label in rows)
    text = Text()
    for label, spans in rows.items():
        text.append(label.ljust(label_width) + " ", style="bold" if label.startswith("v") else "cyan")
        for column in range(width):
            lo, hi = start + column * step, start + (column + 1) * step
            text.append(_FILLED if any(s < hi and e > lo for s, e in spans) else _EMPTY,
                        style="green" if label.startswith("v") else "cyan")
        text.append("\n")
    left, right = fmt_time(start), fmt_time(end)
    text.append(" " * (label_width + 1) + left + right.rjust(max(width - len(left), len(right) + 1)), style="dim")
    return text


# one version ---------------------------------------------------------------------------------
def render_model_show(doc: Mapping[str, Any], console: Console) -> None:
    v, shipped = doc["version"], doc["shipped"]
    header: dict[str, Any] = {
        "stage": stage_text(v["stage"]), "aliases": " ".join(f"@{a}" for a in v["aliases"]) or "none",
        "source": v["source"], "registered": f"{fmt_time(v['creation_timestamp'])} by {v['user_id']}",
        **({"files": "external: outside Cairn's artifact store, never fetched"} if doc.get("external") else {}),
    }
    if shipped["in_production"]:
        approved = f", approved by {shipped['approved_by']}" if shipped["approved_by"] else ""
        by = _who(shipped["by"], shipped["by_verified"])
        header["shipped"] = f"in Production since {fmt_time(shipped['since'])} by {by}{approved}"
    elif shipped["intervals"]:
        last = shipped["intervals"][-1]
        header["shipped"] = f"served {len(shipped['intervals'])}×, last until {fmt_time(last['end'])}"
    else:
        header["shipped"] = "never in Production"
    if v["artifacts_retained_until"]:
        header["artifacts kept until"] = fmt_time(v["artifacts_retained_until"])
    if v["description"]:
        header["description"] = v["description"]
    console.print(Panel(grid(header), title=Text(f"{v['name']} v{v['version']}", style="bold"),
                        title_align="left", expand=False))
    trained = doc["trained"]
    section(console, "Trained", grid({
        "run": f"{trained['run_name']} ({trained['run_id']})",
        "experiment": trained["experiment_name"] or trained["experiment_id"],
        "started": fmt_time(trained["start_time"]), "ended": fmt_time(trained["end_time"]),
        "duration": fmt_duration(trained["duration_ms"]), "by": trained["user_id"],
    }) if trained else None)
    section(console, "Params", grid(doc["params"]) if doc["params"] else None)
    metrics = {k: fmt_number(x) for k, x in doc["metrics"].items()}
    section(console, "Metrics", grid(metrics) if metrics else None)
    section(console, "Worst slices", evidence.slices_table(doc.get("worst_slices") or []))
    section(console, "Serving requirements", evidence.requirements_grid(doc.get("requirements")))
    section(console, "Latency benchmark", evidence.benchmark_grid(doc.get("benchmark")))
    seeds = doc["seeds"]
    section(console, "Seeds", grid({"seed": seeds["seed"], "seeded": ", ".join(seeds["libraries"]) or MISSING})
            if seeds and seeds["seed"] is not None else None)
    section(console, "Code", _code(doc["code"]))
    section(console, "Environment", _environment(doc["environment"]))
    section(console, "Datasets", _datasets(doc["datasets"]))
    files = doc["artifacts"]
    section(console, f"Model files ({files['count']}, {fmt_bytes(files['total_bytes'])})",
            grid({f["path"]: fmt_bytes(f["size"]) for f in files["files"]}) if files["files"] else None)
    console.print()
    console.print(Text("Last audit events", style="bold underline"))
    if doc["events"]:
        render_audit({"name": v["name"], "events": doc["events"]}, console)
    else:
        console.print(Text("none recorded", style="dim"))


def _code(code: Mapping[str, Any] | None) -> Table | None:
    if not code or not any(code.get(k) is not None for k in ("commit", "branch", "remote", "dirty")):
        return None
    dirty, diff = code["dirty"], code.get("diff")
    changed = f" ({len(diff['files'])} files in {diff['artifact']})" if diff else ""
    return grid({"commit": code["commit"], "branch": code["branch"], "remote": code["remote"],
                  "dirty": MISSING if dirty is None else f"yes{changed}" if dirty else "no"})


def _environment(env: Mapping[str, Any] | None) -> Table | None:
    if not env or not any(env.get(k) for k in ("python", "os", "packages", "key_packages")):
        return None
    return grid({"python": env["python"], "os": env["os"], "packages": env["packages"],
                  "key packages": ", ".join(f"{k}=={x}" for k, x in env["key_packages"].items()) or MISSING})


def _datasets(datasets: Sequence[Mapping[str, Any]]) -> Table | None:
    if not datasets:
        return None
    table = _table("Name", "Digest", "Context", "Source")
    for d in datasets:
        table.add_row(d["name"], d["digest"], d["context"] or "", d["source"])
    return table


def _v(number: int | None) -> str:
    return f"v{number}" if number is not None else MISSING
