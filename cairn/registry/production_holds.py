"""What production may need, so that no retention rule ever deletes it.

A version that still keeps its files (``retention.keeps_files``: any stage but Archived, or
Archived within its model's rollback window) holds on to:

* its source run: all of the run's artifacts, whatever the experiment's policy says;
* its files, where they are in Cairn's store (a logged model's folder, a copy elsewhere);
* the datasets its source run trained on, where they are files in Cairn's store
  (``mlflow-artifacts:/...`` or ``runs:/<run>/<path>`` sources): the run holding them is kept.

And any version at all, even one whose files were collected, keeps its source run's record: a
deleted run is never purged while a version names it, because the version's lineage (which code,
data and parameters made it) is that run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cairn.errors import InvalidParameter
from cairn.store import run_retention as run_rows
from cairn.store.registry_models import Tx
from cairn.store.registry_retention import VersionHold, version_holds
from cairn.tracking.locations import SCHEME, store_path_of

from .retention import ARCHIVED, ARTIFACTS_DELETED_TAG, keeps_files

RUNS_SCHEME = "runs:/"
TRAINING = "training"


@dataclass
class Holds:
    """Run ids and store paths that must stay, each with the reason shown when it is kept."""

    runs: dict[str, str] = field(default_factory=dict)
    locations: list[tuple[str, str]] = field(default_factory=list)
    lineage: dict[str, str] = field(default_factory=dict)

    def reason_to_keep(self, run_id: str, folders: list[str]) -> str | None:
        """Why the run's artifacts (in ``folders``, store paths) must stay, or None."""
        if run_id in self.runs:
            return self.runs[run_id]
        for location, reason in self.locations:
            if any(_overlap(location, folder) for folder in folders):
                return reason
        return None


def find_holds(tx: Tx, at: int) -> Holds:
    """Everything held at ``at``, read in the caller's transaction."""
    holds = Holds()
    needing: list[VersionHold] = []
    for v in version_holds(tx, ARTIFACTS_DELETED_TAG):
        if v.run_id:
            holds.lineage.setdefault(v.run_id, f"version {v.version} of '{v.name}' was registered from it (lineage)")
        if v.collected or not keeps_files(v.stage, v.retained_until, at):
            continue
        needing.append(v)
        reason = f"source of version {v.version} of '{v.name}' ({_stage_words(v)})"
        if v.run_id:
            holds.runs.setdefault(v.run_id, reason)
        if v.location and v.location.startswith(SCHEME):
            files = f"holds the files of version {v.version} of '{v.name}' ({_stage_words(v)})"
            holds.locations.append((store_path_of(v.location), files))
    _hold_training_data(tx, needing, holds)
    return holds


def holds_of_run(tx: Tx, run_id: str, folders: list[str], at: int) -> str | None:
    """The versions' reason to keep one run (as ``find_holds`` would say), read afresh in the
    caller's write transaction, just before its files go."""
    holds = Holds()
    prefixes = [f"{SCHEME}/{folder.rstrip('/')}" for folder in folders]
    ancestors = [f"{SCHEME}/{a}" for folder in folders for a in _ancestors(folder)]
    for v in version_holds(tx, ARTIFACTS_DELETED_TAG, run_id=run_id, location_prefixes=prefixes, locations=ancestors):
        if v.collected or not keeps_files(v.stage, v.retained_until, at):
            continue
        reason = f"source of version {v.version} of '{v.name}' ({_stage_words(v)})"
        if v.run_id == run_id:
            holds.runs.setdefault(run_id, reason)
        if v.location and v.location.startswith(SCHEME):
            holds.locations.append((store_path_of(v.location), reason))
    return holds.reason_to_keep(run_id, folders)


def _hold_training_data(tx: Tx, versions: list[VersionHold], holds: Holds) -> None:
    by_run: dict[str, VersionHold] = {}
    for v in versions:
        if v.run_id:
            by_run.setdefault(v.run_id, v)
    for use in run_rows.training_sources(tx, list(by_run)):
        if use.context not in (None, TRAINING):
            continue
        v = by_run[use.run_id]
        reason = (f"holds dataset '{use.name}' ({use.digest[:12]}) that version {v.version} of '{v.name}' "
                  f"({_stage_words(v)}) trained on")
        uri = _source_uri(use.source)
        if uri is None:
            continue
        if uri.startswith(RUNS_SCHEME):
            holder = uri[len(RUNS_SCHEME):].lstrip("/").split("/", 1)[0]
            if holder:
                holds.runs.setdefault(holder, reason)
        elif uri.startswith(SCHEME):
            try:
                holds.locations.append((store_path_of(uri), reason))
            except InvalidParameter:
                continue


def _source_uri(source: str) -> str | None:
    """The URI in a dataset's source: MLflow and Cairn store it as JSON (``{"uri": ...}``)."""
    try:
        parsed = json.loads(source)
    except ValueError:
        return source or None
    if isinstance(parsed, dict):
        for key in ("uri", "path", "url"):
            if isinstance(parsed.get(key), str):
                return str(parsed[key])
    return None


def _stage_words(v: VersionHold) -> str:
    if v.stage == ARCHIVED and v.retained_until is not None:
        until = datetime.fromtimestamp(v.retained_until / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"Archived, kept for rollback until {until}"
    return v.stage


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/") + "/", b.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)
