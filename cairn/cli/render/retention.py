"""Rich rendering of the ``cairn experiments retention`` and ``cairn gc`` documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render import layout
from cairn.cli.render.format import MISSING, SHORT_ID, fmt_bytes, fmt_time

_NO_WRAP = {"Run", "Files", "Bytes", "Time", "Action", "Model", "Version"}


def render_policy(doc: Mapping[str, Any], console: Console) -> None:
    policy = doc["policy"]
    if policy is None:
        console.print(f"Experiment '{doc['experiment']}' has no retention policy: its runs keep every artifact.")
        return
    rows: dict[str, Any] = {"experiment": f"{doc['experiment']} ({doc['experiment_id']})"}
    rows["keep latest runs"] = policy["keep_last"] if policy["keep_last"] is not None else MISSING
    rows["keep runs newer than"] = f"{policy['keep_days']} days" if policy["keep_days"] is not None else MISSING
    rows["set"] = f"{fmt_time(policy['updated_time'])} by {policy['updated_by']}"
    console.print(layout.grid(rows))
    console.print(Text("Always kept: runs still running, and runs production may need (sources of versions in "
                       "Staging or Production or within their rollback window, and their training data).",
                       style="dim"))


def render_gc(doc: Mapping[str, Any], console: Console) -> None:
    verb = "Would delete" if doc["dry_run"] else "Deleted"
    runs, versions = doc["runs"], doc["versions"]
    if runs:
        table = layout.table("Run", "Name", "Path", "Files", "Bytes", "Outcome", no_wrap=_NO_WRAP,
                             right={"Files", "Bytes"})
        for r in runs:
            if r["kept_reason"] is None:
                outcome = Text(("would purge" if doc["dry_run"] else "purged") if r["action"] == "run_purged"
                               else verb.lower(), style="red")
                table.add_row(r["run_id"][:SHORT_ID], r["run_name"], r["location"] or MISSING, str(r["files"]),
                              fmt_bytes(r["bytes"]), outcome)
            else:
                table.add_row(r["run_id"][:SHORT_ID], r["run_name"], r["location"] or MISSING, "", "",
                              Text(f"kept: {r['kept_reason']}", style="green"))
        console.print(table)
    if versions:
        table = layout.table("Model", "Version", "Source", "Outcome", no_wrap=_NO_WRAP)
        for v in versions:
            outcome = (Text(verb.lower(), style="red") if v["kept_reason"] is None
                       else Text(f"kept: {v['kept_reason']}", style="green"))
            table.add_row(v["model_name"], str(v["version"]), v["source"], outcome)
        console.print(table)
    if not runs and not versions:
        console.print("Nothing to collect: every run and version is kept by its policy.")
    freed = "would be freed" if doc["dry_run"] else "freed"
    going = {r["run_id"] for r in runs if r["kept_reason"] is None}
    console.print(f"{verb} {doc['deleted_files']} files ({fmt_bytes(doc['deleted_bytes'])}) of {len(going)} "
                  f"run{'' if len(going) == 1 else 's'}; {fmt_bytes(doc['bytes_freed'])} of storage {freed} "
                  "(content shared with anything kept stays).")


def render_events(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["events"]:
        console.print("The retention trail is empty.")
        return
    for e in doc["events"]:
        actor = e["actor"] if e["actor_verified"] else f"{e['actor']} (unverified)"
        line = Text(f"{fmt_time(e['timestamp'])}  ")
        line.append(e["action"], style="red" if e["action"] in ("artifacts_deleted", "run_purged") else "bold")
        if e["run_id"]:
            line.append(f"  run {e['run_id']}")
        if e["files"] is not None:
            line.append(f"  {e['files']} files, {fmt_bytes(e['bytes'])}")
        line.append(f"  by {actor}")
        console.print(line)
        if e["location"]:
            console.print(Text(f"    {e['location']}", style="dim"))
        console.print(Text(f"    {e['policy']}", style="dim"))
