"""How the ``cairn`` command finds what a user named: experiments by name or id, runs by id, id
prefix or name, what ``diff``, ``drift`` and ``lineage`` were pointed at, every artifact of a run,
and a moment in time. Only ``Client`` calls; no store access of its own.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.cli.render.format import SHORT_ID
from cairn.entities import Experiment, FileInfo, Run, ViewType
from cairn.errors import InvalidParameter, NotFound
from cairn.registry.diff import MAX_TEXT_ARTIFACT_BYTES
from cairn.store.search_grammar import string_literal
from cairn.tracking import clock
from cairn.tracking.runs import looks_like_run_id

if TYPE_CHECKING:
    from cairn.client.client import Client

MIN_ID_PREFIX = 6
MAX_ARTIFACTS_WALKED = 10_000
_PAGE = 1000
_RUN_ID_PREFIX = re.compile(rf"[0-9a-f]{{{MIN_ID_PREFIX},31}}")
_AMBIGUOUS_SHOWN = 5
_MODELS = "models:/"


def all_experiments(client: Client, view: ViewType) -> list[Experiment]:
    found: list[Experiment] = []
    token: str | None = None
    while True:
        page = client.search_experiments(view, _PAGE, token)
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


def experiments_for(client: Client, ref: str | None, view: ViewType) -> dict[str, str]:
    """Experiment id -> name for ``--experiment`` (a name, else an id), or every experiment.

    Raises ``NotFound`` when ``ref`` names no experiment.
    """
    if ref is None:
        return {e.experiment_id: e.name for e in all_experiments(client, view)}
    experiment = client.get_experiment_by_name(ref)
    if experiment is None and ref.isdigit():
        experiment = client.get_experiment(ref)
    if experiment is None:
        raise NotFound(f"No experiment named '{ref}'. List experiments with `cairn experiments list`.")
    return {experiment.experiment_id: experiment.name}


def search_runs(client: Client, experiment_ids: list[str], filter_string: str,
                order_by: Sequence[str] | None, limit: int, view: ViewType) -> list[Run]:
    """Up to ``limit`` matching runs, reading as many pages as that takes."""
    if not experiment_ids:
        return []
    found: list[Run] = []
    token: str | None = None
    while len(found) < limit:
        page = client.search_runs(experiment_ids, filter_string, view, min(limit - len(found), _PAGE),
                                  order_by, token)
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            break
    return found


def resolve_run(client: Client, ref: str, experiment: str | None) -> Run:
    """The run named by a full id, a unique id prefix, or a run name (within ``experiment``).

    Raises ``NotFound`` when nothing matches and ``InvalidParameter`` when several runs do.
    """
    if looks_like_run_id(ref):
        return client.get_run(ref)
    ids = list(experiments_for(client, experiment, ViewType.ALL))
    limit = _AMBIGUOUS_SHOWN + 1
    matches: list[Run] = []
    if _RUN_ID_PREFIX.fullmatch(ref):
        matches = search_runs(client, ids, f"attributes.run_id LIKE '{ref}%'", None, limit, ViewType.ALL)
    if not matches:
        matches = search_runs(client, ids, f"attributes.run_name = {string_literal(ref, 'A run name searched for (use the run id)')}", None, limit, ViewType.ALL)
    if len(matches) == 1:
        return matches[0]
    where = f" in experiment '{experiment}'" if experiment else ""
    if not matches:
        raise NotFound(f"No run with id, id prefix or name '{ref}'{where}. Find it with `cairn runs list`.")
    listed = ", ".join(f"{m.run_id[:SHORT_ID]} ({m.info.run_name})" for m in matches[:_AMBIGUOUS_SHOWN])
    raise InvalidParameter(f"'{ref}' matches several runs{where}: {listed}. "
                           "Use a longer id prefix, the full run id, or --experiment.")


def run_or_model(client: Client, ref: str, experiment: str | None) -> str:
    """What ``diff`` compares: a run id for a run reference (``run:`` prefix optional), while
    ``models:/`` references pass through for the client."""
    if ref.startswith(_MODELS):
        return ref
    return resolve_run(client, ref.removeprefix("run:"), experiment).run_id


def any_ref(client: Client, ref: str, experiment: str | None, paths: bool) -> str:
    """What ``drift`` and ``lineage`` pass on: a path (when ``paths``), ``models:/``,
    ``dataset:REF``, or a run id when ``ref`` names a run (by id, prefix or name), else ``ref``
    itself (a dataset). ``run:REF`` must name a run (``NotFound`` otherwise)."""
    if ref.startswith(_MODELS) or ref.startswith("dataset:") or (paths and Path(ref).exists()):
        return ref
    try:
        return resolve_run(client, ref.removeprefix("run:"), experiment).run_id
    except NotFound:
        if ref.startswith("run:"):
            raise
        return ref


def walk_artifacts(client: Client, run_id: str) -> list[FileInfo]:
    """Every file and folder under the run's artifact root, sorted by path."""
    found: list[FileInfo] = []
    pending = [""]
    while pending and len(found) < MAX_ARTIFACTS_WALKED:
        entries = client.list_artifacts(run_id, pending.pop())
        found.extend(entries)
        pending.extend(f.path for f in entries if f.is_dir)
    return sorted(found, key=lambda f: f.path)


def read_artifact_text(client: Client, run_id: str, path: str) -> str:
    """The first ``MAX_TEXT_ARTIFACT_BYTES`` of a text artifact, undecodable bytes replaced."""
    with tempfile.TemporaryDirectory(prefix="cairn-") as tmp:
        local = client.download_artifacts(run_id, path, dst_path=tmp)
        with open(local, "rb") as handle:
            return handle.read(MAX_TEXT_ARTIFACT_BYTES).decode("utf-8", errors="replace")


_AGE_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_AGE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")


def time_ms(text: str) -> int | None:
    """Milliseconds since the epoch from epoch ms, an age counted back from now (``30m``, ``2h``,
    ``7d``) or ISO 8601 (local time unless it has an offset); None when ``text`` is none of them.
    Each command words its own refusal."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    age = _AGE.match(value.lower())
    if age is not None:
        return clock.now_ms() - int(float(age.group(1)) * _AGE_UNITS_MS[age.group(2)])
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except ValueError:
        return None
