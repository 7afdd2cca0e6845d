"""What changed between two runs, or two model versions: params, metrics, code, data, environment
and seeds.

``diff_runs`` reads both runs through a ``RunReader`` (the SDK's ``Client`` has one; a server can
build one over its store and artifact store), so the same rules answer in the embedded SDK, the
CLI and an API route. Two versions are compared through the runs they were registered from (the
caller turns ``models:/NAME/VERSION`` into that run's id). Everything is a dict or set
comparison, linear in what the runs recorded; the unified diff of the two ``code/diff.patch``
artifacts is capped at ``MAX_PATCH_LINES``.

Why in ``registry/``: the data section compares the runs' datasets (schemas, row counts and
drift, from ``datasets/``, which sits above ``tracking/``), and the question it answers is "what
differs between these two versions" as often as between two runs. ``registry/`` is the lowest
layer that knows runs, datasets and model versions; ``datasets/`` would be low enough for the
imports, but a comparison of params, metrics, code and environments is not a dataset rule.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cairn.entities import Dataset, Metric, Run
from cairn.tracking.slice_metrics import worst_slices

DIFF_ARTIFACT = "code/diff.patch"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
CONTEXT_TAG = "mlflow.data.context"
CODE_TAGS = {"commit": "mlflow.source.git.commit", "branch": "mlflow.source.git.branch",
             "repo_url": "mlflow.source.git.repoURL", "dirty": "cairn.git.dirty", "entry_point": "mlflow.source.name"}
SYSTEM_TAGS = ("cairn.python.version", "cairn.python.implementation", "cairn.os", "cairn.kernel",
               "cairn.cpu.model", "cairn.cpu.count", "cairn.ram.bytes", "cairn.gpus", "cairn.hostname")
SEED_TAGS = ("cairn.seed", "cairn.seed.libraries")
MAX_CURVES = 100
MAX_PATCH_LINES = 20_000
MAX_LOG_LINES = 200
MOVED_FEATURES = 5
GIT_TIMEOUT_S = 5.0
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;#]+)")
_VERSION = re.compile(
    r"^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?"
    r"(?:[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+.*)?$", re.IGNORECASE)
_PRE_RANK = {"a": -3, "alpha": -3, "b": -2, "beta": -2, "c": -1, "rc": -1, "pre": -1, "preview": -1}


# How much of a text artifact (a diff patch, a requirements file) any reader takes.
MAX_TEXT_ARTIFACT_BYTES = 5 * 1024 * 1024


class RunReader(Protocol):
    def get_run(self, run_id: str) -> Run: ...
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]: ...
    def read_artifact_text(self, run_id: str, path: str) -> str | None:
        """The artifact's first ``MAX_TEXT_ARTIFACT_BYTES`` as text, or None when the run has no such
        artifact."""


@dataclass
class RunDiff:
    """Sections of the comparison of run ``a`` (before) with run ``b`` (after)."""

    runs: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, Any]
    code: dict[str, Any]
    data: list[dict[str, Any]]
    environment: dict[str, Any]
    seeds: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff_runs(reader: RunReader, a: str, b: str, repo: str | os.PathLike[str] | None = None,
              curves: bool = True, git_log: bool = True) -> RunDiff:
    """Compare run ``a`` with run ``b``. ``repo`` is a local git checkout for ``git log A..B``
    (default: the current directory; skipped with a note when the commits are not there). A
    server passes ``git_log=False``: its working directory is not the user's repository."""
    run_a, run_b = reader.get_run(a), reader.get_run(b)
    notes: list[str] = []
    texts = {(side, path): reader.read_artifact_text(run.run_id, path)
             for side, run in (("a", run_a), ("b", run_b)) for path in (DIFF_ARTIFACT, REQUIREMENTS_ARTIFACT)}
    return RunDiff(
        runs={"a": _run_summary(run_a), "b": _run_summary(run_b)},
        params=compare_mappings(run_a.data.params, run_b.data.params),
        metrics=_metrics(reader, run_a, run_b, curves, notes),
        code=_code(run_a, run_b, texts[("a", DIFF_ARTIFACT)], texts[("b", DIFF_ARTIFACT)],
                   repo if git_log else False, notes),
        data=_data(run_a, run_b),
        environment=_environment(run_a, run_b, texts[("a", REQUIREMENTS_ARTIFACT)],
                                 texts[("b", REQUIREMENTS_ARTIFACT)]),
        seeds=_tag_pairs(run_a, run_b, SEED_TAGS),
        notes=notes,
    )


def compare_mappings(a: dict[str, str], b: dict[str, str]) -> dict[str, Any]:
    """Keys added in ``b``, removed from ``a``, and changed, plus how many are the same."""
    changed = {k: {"a": a[k], "b": b[k]} for k in sorted(a.keys() & b.keys()) if a[k] != b[k]}
    return {"added": {k: b[k] for k in sorted(b.keys() - a.keys())},
            "removed": {k: a[k] for k in sorted(a.keys() - b.keys())},
            "changed": changed, "unchanged": len(a.keys() & b.keys()) - len(changed)}


def _run_summary(run: Run) -> dict[str, Any]:
    i = run.info
    return {"run_id": i.run_id, "run_name": i.run_name, "experiment_id": i.experiment_id, "status": i.status,
            "start_time": i.start_time, "end_time": i.end_time}


def _metrics(reader: RunReader, a: Run, b: Run, curves: bool, notes: list[str]) -> dict[str, Any]:
    ma, mb = a.data.metrics, b.data.metrics
    keys = sorted(ma.keys() | mb.keys())
    if curves and len(keys) > MAX_CURVES:
        notes.append(f"curves summarized for the first {MAX_CURVES} of {len(keys)} metrics")
    rows = []
    for i, key in enumerate(keys):
        va = ma[key].value if key in ma else None
        vb = mb[key].value if key in mb else None
        row: dict[str, Any] = {"key": key, "a": va, "b": vb, "delta": None, "relative": None}
        if va is not None and vb is not None and math.isfinite(va) and math.isfinite(vb):
            row["delta"] = vb - va
            row["relative"] = (vb - va) / abs(va) if va != 0 else None
        if curves and i < MAX_CURVES:
            row["curve_a"] = _curve(reader.get_metric_history(a.run_id, key)) if key in ma else None
            row["curve_b"] = _curve(reader.get_metric_history(b.run_id, key)) if key in mb else None
        rows.append(row)
    worst = {side: [asdict(s) for s in worst_slices({k: m.value for k, m in run.data.metrics.items()})]
             for side, run in (("a", a), ("b", b))}
    return {"metrics": rows, "only_a": sorted(ma.keys() - mb.keys()), "only_b": sorted(mb.keys() - ma.keys()),
            "worst_slices": worst}


def _curve(points: list[Metric]) -> dict[str, Any]:
    finite = [p for p in points if math.isfinite(p.value)]
    if not points:
        return {"points": 0}
    low = min(finite, key=lambda p: p.value) if finite else None
    high = max(finite, key=lambda p: p.value) if finite else None
    return {"points": len(points), "first_step": points[0].step, "last_step": points[-1].step,
            "first": points[0].value, "last": points[-1].value,
            "min": low.value if low else None, "min_step": low.step if low else None,
            "max": high.value if high else None, "max_step": high.step if high else None}


def _code(a: Run, b: Run, patch_a: str | None, patch_b: str | None, repo: Any, notes: list[str]) -> dict[str, Any]:
    side_a = {name: a.data.tags.get(tag) for name, tag in CODE_TAGS.items()}
    side_b = {name: b.data.tags.get(tag) for name, tag in CODE_TAGS.items()}
    for side, patch in ((side_a, patch_a), (side_b, patch_b)):
        side["dirty"] = side["dirty"] == "true" if side["dirty"] is not None else None
        side["has_patch"] = patch is not None
    out: dict[str, Any] = {"a": side_a, "b": side_b,
                           "same_commit": side_a["commit"] is not None and side_a["commit"] == side_b["commit"],
                           "patch_diff": None, "git_log": None}
    if (patch_a or "") != (patch_b or ""):
        lines_a, lines_b = (patch_a or "").splitlines(), (patch_b or "").splitlines()
        if max(len(lines_a), len(lines_b)) > MAX_PATCH_LINES:
            notes.append(f"patches compared on their first {MAX_PATCH_LINES} lines")
            lines_a, lines_b = lines_a[:MAX_PATCH_LINES], lines_b[:MAX_PATCH_LINES]
        out["patch_diff"] = "\n".join(difflib.unified_diff(
            lines_a, lines_b, f"a/{DIFF_ARTIFACT}", f"b/{DIFF_ARTIFACT}", lineterm=""))
    if side_a["commit"] and side_b["commit"] and not out["same_commit"] and repo is not False:
        out["git_log"], note = git_log(side_a["commit"], side_b["commit"], repo)
        if note:
            notes.append(note)
    return out


def git_log(commit_a: str, commit_b: str, repo: Any = None) -> tuple[list[str] | None, str | None]:
    """``git log --oneline A..B`` in ``repo`` (default: the current directory), or None and why not."""
    git = shutil.which("git")
    where = Path(repo) if repo is not None else Path.cwd()
    if git is None:
        return None, "git log skipped: git is not installed"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, "-C", str(where), *args], capture_output=True, text=True, errors="replace",
                              timeout=GIT_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)

    try:
        for commit in (commit_a, commit_b):
            if run("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
                return None, f"git log skipped: commit {commit[:10]} is not in the repository at {where}"
        done = run("log", "--oneline", f"-n{MAX_LOG_LINES}", f"{commit_a}..{commit_b}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git log skipped: {exc}"
    if done.returncode != 0:
        return None, f"git log failed: {done.stderr.strip()[:200]}"
    return done.stdout.splitlines(), None


def _data(a: Run, b: Run) -> list[dict[str, Any]]:
    from cairn.datasets.drift import measure_drift
    from cairn.datasets.profile import row_count
    from cairn.datasets.schema import compare_schemas

    rows = []
    for context, da, db in _paired_inputs(a, b):
        pa, pb = _loads(da.profile if da else None), _loads(db.profile if db else None)
        row: dict[str, Any] = {
            "context": context, "name_a": da.name if da else None, "name_b": db.name if db else None,
            "digest_a": da.digest if da else None, "digest_b": db.digest if db else None,
            "same_digest": bool(da and db and da.digest == db.digest),
            "rows_a": row_count(pa), "rows_b": row_count(pb), "row_change": None,
            "schema": compare_schemas(_loads(da.schema if da else None), _loads(db.schema if db else None)).to_dict()
            if da and db else None,
            "moved_features": [],
        }
        if row["rows_a"] is not None and row["rows_b"] is not None:
            row["row_change"] = row["rows_b"] - row["rows_a"]
        if da and db and not row["same_digest"] and pa and pb:
            report = measure_drift(pa, pb)
            row["moved_features"] = [
                {"feature": f.feature, "status": f.status, "severity": f.severity, "psi": f.psi, "test": f.test,
                 "statistic": f.statistic, "reasons": f.reasons}
                for f in report.features if f.status != "not_compared"][:MOVED_FEATURES]
        rows.append(row)
    return rows


def _paired_inputs(a: Run, b: Run) -> list[tuple[str | None, Dataset | None, Dataset | None]]:
    # Per context, datasets pair by name first; the rest pair in name order (a renamed file).
    pairs: list[tuple[str | None, Dataset | None, Dataset | None]] = []
    contexts = sorted({i.tags.get(CONTEXT_TAG) or "" for i in [*a.inputs, *b.inputs]})
    for context in contexts:
        in_a = {i.dataset.name: i.dataset for i in a.inputs if (i.tags.get(CONTEXT_TAG) or "") == context}
        in_b = {i.dataset.name: i.dataset for i in b.inputs if (i.tags.get(CONTEXT_TAG) or "") == context}
        same = sorted(in_a.keys() & in_b.keys())
        rest_a = sorted(in_a.keys() - in_b.keys())
        rest_b = sorted(in_b.keys() - in_a.keys())
        matched = [(in_a[n], in_b[n]) for n in same]
        matched += [(in_a.get(x) if x else None, in_b.get(y) if y else None)
                    for x, y in itertools.zip_longest(rest_a, rest_b)]
        pairs += [(context or None, da, db) for da, db in matched]
    return pairs


def _environment(a: Run, b: Run, req_a: str | None, req_b: str | None) -> dict[str, Any]:
    packages: dict[str, Any] | None = None
    if req_a is not None or req_b is not None:
        packages = compare_requirements(req_a or "", req_b or "")
    return {"packages": packages, "system": _tag_pairs(a, b, SYSTEM_TAGS)}


def compare_requirements(a: str, b: str) -> dict[str, Any]:
    """Packages added, removed, upgraded, downgraded (PEP 440 order) or changed (unordered)
    between two ``name==version`` listings."""
    pins_a, pins_b = parse_requirements(a), parse_requirements(b)
    upgraded, downgraded, changed = {}, {}, {}
    for name in sorted(pins_a.keys() & pins_b.keys()):
        va, vb = pins_a[name][1], pins_b[name][1]
        if va == vb:
            continue
        ka, kb = version_key(va), version_key(vb)
        bucket = changed if ka is None or kb is None or ka == kb else upgraded if kb > ka else downgraded
        bucket[pins_b[name][0]] = {"a": va, "b": vb}
    same = len(pins_a.keys() & pins_b.keys()) - len(upgraded) - len(downgraded) - len(changed)
    return {"added": {pins_b[n][0]: pins_b[n][1] for n in sorted(pins_b.keys() - pins_a.keys())},
            "removed": {pins_a[n][0]: pins_a[n][1] for n in sorted(pins_a.keys() - pins_b.keys())},
            "upgraded": upgraded, "downgraded": downgraded, "changed": changed, "unchanged": same}


def parse_requirements(text: str) -> dict[str, tuple[str, str]]:
    """Normalized name -> (name as written, version) for each pinned line."""
    found = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = (match.group(1), match.group(2))
    return found


def version_key(version: str) -> tuple[Any, ...] | None:
    """A sort key for a PEP 440 version (dev < a < b < rc < final < post), None if unparsable."""
    m = _VERSION.match(version.strip())
    if m is None:
        return None
    release = tuple(int(p) for p in m.group(1).split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    pre = (_PRE_RANK[m.group(2).lower()], int(m.group(3) or 0)) if m.group(2) else (0, 0)
    if m.group(6) and not m.group(2) and not m.group(4):
        pre = (-4, 0)  # 1.0.dev1 comes before 1.0a1
    post = int(m.group(5) or 0) + 1 if m.group(4) else 0
    dev = int(m.group(7) or 0) if m.group(6) else math.inf
    return (release, pre, post, dev)


def _tag_pairs(a: Run, b: Run, keys: tuple[str, ...]) -> dict[str, Any]:
    pairs = {}
    for key in keys:
        va, vb = a.data.tags.get(key), b.data.tags.get(key)
        if va is not None or vb is not None:
            pairs[key] = {"a": va, "b": vb, "same": va == vb}
    return pairs


def _loads(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
