"""Optuna sweeps as runs: a study is a parent run, each finished trial a child run of it.

``OptunaCallback`` is an Optuna study callback (``study.optimize(..., callbacks=[cb])``). It
writes through the ``Client`` it is given — ``cairn.optuna.callback()`` hands it the SDK's own
(this layer sits below ``client/`` and never imports it).

Each trial's run: its params, the objective as the metric ``value`` (``value_0``, ``value_1``, ...
for several objectives), the values it reported as ``intermediate_value`` per step, the trial's
start and end as the run's, and tags ``optuna.trial_number``, ``optuna.trial_state`` (COMPLETE,
PRUNED, FAIL) and ``optuna.pruned``; ``mlflow.parentRunId`` points at the study's run. A failed
trial's run is FAILED; complete and pruned ones are FINISHED.

The study's run, updated after every trial: the metric ``best_value`` (step = trial number: the
best-so-far curve), tags ``optuna.best_trial``, ``optuna.best_run_id`` and one
``optuna.best_param.<name>`` per parameter (tags, not params: the best trial changes, params
never do). ``finish(study)`` — or leaving ``with`` — adds the parameter importances (Optuna's
``get_param_importances``) as the table ``param_importances.json`` and the bar chart
``param_importances.png``, and ends the study's run.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cairn.entities import Metric, RunTag
from cairn.tracking.runs import PARENT_RUN_TAG

from .optuna_importance import (
    IMPORTANCE_PLOT,
    IMPORTANCE_TABLE,
    importance_figure,
    importance_table,
)

if TYPE_CHECKING:
    from cairn.client import Client

_log = logging.getLogger(__name__)

MAX_METRICS_PER_BATCH = 1000  # MLflow's log-batch limit
VALUE_METRIC = "value"
INTERMEDIATE_METRIC = "intermediate_value"
BEST_METRIC = "best_value"
TAG_PREFIX = "optuna."
_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "FINISHED", "FAIL": "FAILED"}


class OptunaCallback:
    """Records a study's trials as child runs of one parent run; see the module docstring.

    >>> cb = OptunaCallback(client, experiment_id="0")
    >>> study.optimize(objective, n_trials=20, callbacks=[cb])
    >>> cb.finish(study)             # importances, then the parent run ends
    """

    def __init__(self, client: Client, experiment_id: str, *, run_name: str | None = None,
                 parent_run_id: str | None = None, log_importances: bool = True) -> None:
        self._client = client
        self.experiment_id = str(experiment_id)
        self._run_name = run_name
        self._outer_run_id = parent_run_id  # the study's run nests under this one, when given
        self._log_importances = log_importances
        self._lock = threading.Lock()
        self._study: Any = None
        self._best_number: int | None = None
        self._finished = False
        self.study_run_id: str | None = None
        self.trial_run_ids: dict[int, str] = {}

    # Optuna calls this after every trial, from the thread that ran it.
    def __call__(self, study: Any, trial: Any) -> None:
        with self._lock:
            if self._finished:
                raise RuntimeError("This callback's study run has ended (finish was called); make a new callback.")
            self._study = study
            parent = self._ensure_study_run(study)
            self.trial_run_ids[trial.number] = self._log_trial(parent, study, trial)
            self._update_best(parent, study, trial)

    def finish(self, study: Any = None) -> None:
        """Log the importances and end the study's run (FINISHED); once, later calls do nothing."""
        with self._lock:
            study = study if study is not None else self._study
            if self._finished or study is None:
                return
            self._finished = True
            parent = self._ensure_study_run(study)
            states: dict[str, int] = {}
            for t in study.trials:
                states[t.state.name] = states.get(t.state.name, 0) + 1
            tags = {f"{TAG_PREFIX}n_trials": str(len(study.trials)),
                    **{f"{TAG_PREFIX}n_{state.lower()}": str(n) for state, n in states.items()}}
            self._client.set_tags(parent, tags)
            if self._log_importances:
                self._record_importances(parent, study)
            self._client.set_terminated(parent, "FINISHED")

    def __enter__(self) -> OptunaCallback:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.finish()
        elif self.study_run_id is not None and not self._finished:
            self._finished = True
            self._client.set_terminated(self.study_run_id, "KILLED" if exc_type is KeyboardInterrupt else "FAILED")

    # the study's run -------------------------------------------------------------------------
    def _ensure_study_run(self, study: Any) -> str:
        if self.study_run_id is not None:
            return self.study_run_id
        tags = {f"{TAG_PREFIX}study_name": study.study_name,
                f"{TAG_PREFIX}directions": ",".join(d.name for d in study.directions),
                f"{TAG_PREFIX}sampler": type(study.sampler).__name__,
                f"{TAG_PREFIX}pruner": type(study.pruner).__name__}
        if self._outer_run_id:
            tags[PARENT_RUN_TAG] = self._outer_run_id
        starts = [t.datetime_start for t in study.trials if t.datetime_start is not None]
        run = self._client.create_run(self.experiment_id, start_time=_ms(min(starts)) if starts else None,
                                      tags=tags, run_name=self._run_name or study.study_name)
        self.study_run_id = run.run_id
        return run.run_id

    def _update_best(self, parent: str, study: Any, trial: Any) -> None:
        tags: list[RunTag] = []
        metrics: list[Metric] = []
        now = _ms(datetime.now())
        if len(study.directions) > 1:
            front = sorted(t.number for t in study.best_trials)
            tags.append(RunTag(f"{TAG_PREFIX}best_trials", json.dumps(front)))
        else:
            try:
                best = study.best_trial
            except ValueError:  # no trial has completed yet
                best = None
            if best is not None:
                metrics.append(Metric(BEST_METRIC, float(best.value), now, trial.number))
                if best.number != self._best_number:
                    self._best_number = best.number
                    tags += [RunTag(f"{TAG_PREFIX}best_trial", str(best.number)),
                             RunTag(f"{TAG_PREFIX}best_value", repr(float(best.value)))]
                    if best.number in self.trial_run_ids:
                        tags.append(RunTag(f"{TAG_PREFIX}best_run_id", self.trial_run_ids[best.number]))
                    tags += [RunTag(f"{TAG_PREFIX}best_param.{k}", str(v)) for k, v in best.params.items()]
        if tags or metrics:
            self._client.log_batch(parent, metrics, (), tags)

    def _record_importances(self, parent: str, study: Any) -> None:
        import optuna

        try:
            importances = optuna.importance.get_param_importances(study)
        except (RuntimeError, ValueError) as exc:  # fewer than two complete trials, no params, ...
            _log.warning("No parameter importances for study %r: %s", study.study_name, exc)
            self._client.set_tag(parent, f"{TAG_PREFIX}importance_note", str(exc)[:500])
            return
        if not importances:
            return
        self._client.log_table(parent, importance_table(importances), IMPORTANCE_TABLE)
        try:
            figure = importance_figure(importances, study.study_name)
        except ImportError:
            _log.warning("matplotlib is not installed: no %s for study %r.", IMPORTANCE_PLOT, study.study_name)
            return
        self._client.log_figure(parent, figure, IMPORTANCE_PLOT)

    # one trial -----------------------------------------------------------------------------
    def _log_trial(self, parent: str, study: Any, trial: Any) -> str:
        state = trial.state.name
        tags = {PARENT_RUN_TAG: parent, f"{TAG_PREFIX}study_name": study.study_name,
                f"{TAG_PREFIX}trial_number": str(trial.number), f"{TAG_PREFIX}trial_state": state,
                f"{TAG_PREFIX}pruned": str(state == "PRUNED").lower()}
        start = _ms(trial.datetime_start) if trial.datetime_start else None
        end = _ms(trial.datetime_complete) if trial.datetime_complete else None
        run = self._client.create_run(self.experiment_id, start_time=start, tags=tags,
                                      run_name=f"{study.study_name}-trial-{trial.number}")
        run_id = run.run_id
        if trial.params:
            self._client.log_params(run_id, trial.params)
        metrics = self._trial_metrics(trial, end or start or _ms(datetime.now()))
        for i in range(0, len(metrics), MAX_METRICS_PER_BATCH):
            self._client.log_batch(run_id, metrics[i:i + MAX_METRICS_PER_BATCH])
        self._client.set_terminated(run_id, _STATUS.get(state, "KILLED"), end)
        return run_id

    @staticmethod
    def _trial_metrics(trial: Any, ts: int) -> list[Metric]:
        metrics = [Metric(INTERMEDIATE_METRIC, float(v), ts, int(step))
                   for step, v in sorted(trial.intermediate_values.items()) if _finite(v)]
        values = trial.values or []
        last = trial.last_step if trial.last_step is not None else 0
        if len(values) == 1 and _finite(values[0]):
            metrics.append(Metric(VALUE_METRIC, float(values[0]), ts, last))
        elif len(values) > 1:
            metrics += [Metric(f"{VALUE_METRIC}_{i}", float(v), ts, last) for i, v in enumerate(values) if _finite(v)]
        return metrics


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
