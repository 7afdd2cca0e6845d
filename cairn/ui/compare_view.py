"""The compare page's content: 2 to 20 runs side by side, read through ``cairn.registry.diff``.

The first run given is the baseline. ``cairn diff`` compares two runs; here it compares the
baseline with each other run (``diff_runs`` exactly as the CLI and the diff route call it, minus
``git log``, which needs the user's checkout, and minus curve summaries, which the page's charts
draw in full), and the tables put every run in a column: a row is "the same" when no comparison
reports a difference on it, and a cell is marked when it differs from the baseline's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cairn.entities import Run
from cairn.errors import InvalidParameter
from cairn.registry.diff import RunReader, diff_runs
from cairn.store.database import Database
from cairn.tracking import experiments

from .chart_runs import Chart, ChartRun, chart_runs, charts_of
from .parallel_coords import ParallelChart, parallel_chart
from .templating import format_value

MIN_COMPARED_RUNS = 2
MAX_COMPARED_RUNS = 20
MAX_COMPARE_CHARTS = 12
MAX_PARALLEL_AXES = 12
DEFAULT_PARALLEL_AXES = 6
MAX_PATCH_LINES_SHOWN = 400  # per comparison; the JSON twin carries the whole patch diff
MISSING = "—"
CODE_FIELDS = {"commit": "Git commit", "branch": "Branch", "repo_url": "Remote", "dirty": "Uncommitted changes",
               "entry_point": "Entry point", "has_patch": "Diff patch logged"}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    text: str
    differs: bool = False  # from the baseline's value
    note: str = ""  # a metric's change from the baseline


@dataclass(frozen=True)
class Row:
    key: str
    cells: list[Cell]

    @property
    def same(self) -> bool:
        return not any(c.differs for c in self.cells)


@dataclass
class CompareView:
    runs: list[Run]
    colors: list[ChartRun]
    diffs: list[dict[str, Any]]  # ``RunDiff.to_dict()`` of the baseline against runs[1:], in order
    params: list[Row] = field(default_factory=list)
    metrics: list[Row] = field(default_factory=list)
    code: list[Row] = field(default_factory=list)
    system: list[Row] = field(default_factory=list)
    seeds: list[Row] = field(default_factory=list)
    metric_keys: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    axis_choices: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    parallel: ParallelChart | None = None
    notes: list[str] = field(default_factory=list)
    experiment_names: dict[str, str] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[str]:
        return [r.info.run_id for r in self.runs]

    @property
    def chart_keys(self) -> list[str]:
        return [c.key for c in self.charts]


class _MemoReader:
    """Reads each run and artifact once: the baseline is in every comparison."""

    def __init__(self, inner: RunReader) -> None:
        self._inner = inner
        self._runs: dict[str, Run] = {}
        self._texts: dict[tuple[str, str], str | None] = {}

    def get_run(self, run_id: str) -> Run:
        if run_id not in self._runs:
            self._runs[run_id] = self._inner.get_run(run_id)
        return self._runs[run_id]

    def get_metric_history(self, run_id: str, key: str) -> Any:
        return self._inner.get_metric_history(run_id, key)

    def read_artifact_text(self, run_id: str, path: str) -> str | None:
        if (run_id, path) not in self._texts:
            self._texts[(run_id, path)] = self._inner.read_artifact_text(run_id, path)
        return self._texts[(run_id, path)]


def compared_run_ids(values: list[str]) -> list[str]:
    """The ``run`` query values, blanks and repeats dropped, checked for 2 to 20 runs."""
    ids = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(ids) < MIN_COMPARED_RUNS:
        raise InvalidParameter(
            f"Choose at least {MIN_COMPARED_RUNS} runs to compare, got {len(ids)}: tick runs on an experiment's "
            "runs page and press 'Compare selected', or give the address one run=<run id> per run.")
    if len(ids) > MAX_COMPARED_RUNS:
        raise InvalidParameter(
            f"At most {MAX_COMPARED_RUNS} runs can be compared at once, got {len(ids)}: leave some out.")
    return ids


def load_compare(db: Database, reader: RunReader, run_ids: list[str], metrics: list[str], axes: list[str]) -> CompareView:
    """Everything the page shows; NotFound names the first unknown run."""
    memo = _MemoReader(reader)
    found = [memo.get_run(run_id) for run_id in run_ids]
    base = run_ids[0]
    diffs = [diff_runs(memo, base, other, curves=False, git_log=False).to_dict() for other in run_ids[1:]]
    view = CompareView(found, chart_runs(found), diffs)
    view.params = _param_rows(found, diffs)
    view.metrics = _metric_rows(found, diffs)
    view.code = _code_rows(diffs)
    view.system = _tag_rows(found, [d["environment"]["system"] for d in diffs])
    view.seeds = _tag_rows(found, [d["seeds"] for d in diffs])
    view.notes = sorted({note for d in diffs for note in d["notes"]})
    view.experiment_names = {e: experiments.get_experiment(db, e).name for e in {r.info.experiment_id for r in found}}
    view.metric_keys = sorted({k for r in found for k in r.data.metrics})
    chosen = [k for k in dict.fromkeys(metrics) if k in view.metric_keys]
    view.charts = charts_of((chosen or view.metric_keys)[:MAX_COMPARE_CHARTS], view.colors)
    _choose_axes(view, axes)
    return view


def _param_rows(runs: list[Run], diffs: list[dict[str, Any]]) -> list[Row]:
    changed = [set(d["params"]["added"]) | set(d["params"]["removed"]) | set(d["params"]["changed"]) for d in diffs]
    rows = []
    for key in sorted({k for r in runs for k in r.data.params}):
        cells = [Cell(runs[0].data.params.get(key, MISSING))]
        cells += [Cell(r.data.params.get(key, MISSING), key in changed[i]) for i, r in enumerate(runs[1:])]
        rows.append(Row(key, cells))
    return rows


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _metric_rows(runs: list[Run], diffs: list[dict[str, Any]]) -> list[Row]:
    by_key = [{m["key"]: m for m in d["metrics"]["metrics"]} for d in diffs]
    rows = []
    for key in sorted({k for r in runs for k in r.data.metrics}):
        base = runs[0].data.metrics.get(key)
        cells = [Cell(MISSING if base is None else format_value(base.value))]
        for compared in by_key:
            m = compared.get(key)
            if m is None:  # neither the baseline nor this run logged it
                cells.append(Cell(MISSING))
                continue
            text = MISSING if m["b"] is None else format_value(m["b"])
            cells.append(Cell(text, not _same_number(m["a"], m["b"]), _change(m["delta"], m["relative"])))
        rows.append(Row(key, cells))
    return rows


def _change(delta: float | None, relative: float | None) -> str:
    if not delta:
        return ""
    return f"{delta:+.4g}" + (f" ({relative:+.1%})" if relative is not None else "")


def _code_rows(diffs: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for name, label in CODE_FIELDS.items():
        base = diffs[0]["code"]["a"].get(name)
        values = [base] + [d["code"]["b"].get(name) for d in diffs]
        if all(v is None for v in values):
            continue
        rows.append(Row(label, [Cell(_text(values[0]))] + [Cell(_text(v), v != base) for v in values[1:]]))
    return rows


def _text(value: object) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _tag_rows(runs: list[Run], pairs: list[dict[str, Any]]) -> list[Row]:
    """Rows of tags that ``diff_runs`` pairs up (system, seeds), each run's own value per column."""
    keys = sorted({k for p in pairs for k in p})
    rows = []
    for key in keys:
        cells = [Cell(_text(runs[0].data.tags.get(key)))]
        cells += [Cell(_text(r.data.tags.get(key)), key in p and not p[key]["same"])
                  for r, p in zip(runs[1:], pairs, strict=True)]
        rows.append(Row(key.removeprefix("cairn."), cells))
    return rows


def _choose_axes(view: CompareView, asked: list[str]) -> None:
    view.axis_choices = [f"params.{r.key}" for r in view.params] + [f"metrics.{r.key}" for r in view.metrics]
    chosen = [a for a in dict.fromkeys(asked) if a in view.axis_choices][:MAX_PARALLEL_AXES]
    if not chosen:
        differing = [f"params.{r.key}" for r in view.params if not r.same]
        differing += [f"metrics.{r.key}" for r in view.metrics if not r.same]
        chosen = differing[:DEFAULT_PARALLEL_AXES]
    view.axes = chosen
    if len(chosen) < 2:
        return
    columns = []
    for axis in chosen:
        entity, _, key = axis.partition(".")
        if entity == "params":
            columns.append((axis, [r.data.params.get(key) for r in view.runs]))
        else:
            columns.append((axis, [m.value if (m := r.data.metrics.get(key)) else None for r in view.runs]))
    lines = [(c.run_id, c.name, c.color or "") for c in view.colors]
    view.parallel = parallel_chart(columns, lines)
