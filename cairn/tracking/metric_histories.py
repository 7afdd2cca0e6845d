"""One metric's history across many runs, whole or sampled for charts, with MLflow's limits.

* ``get_metric_histories``: every point of a metric for up to ``MAX_RUNS_PER_REQUEST`` runs, at
  most ``MAX_HISTORY_POINTS`` points in all (a larger ``max_results`` is capped, as in MLflow).
* ``sample_metric_histories``: an even sample of at most ``max_results`` points per run (default
  and limit ``MAX_SAMPLED_POINTS_PER_RUN``), optionally within a step range; the sampling rule is
  described in ``cairn.store.metric_samples``.

Runs that do not exist (or never logged the metric) contribute no points and raise nothing, as
in MLflow: a chart over many runs should not fail because one was deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

from cairn.entities import Metric
from cairn.errors import InvalidParameter
from cairn.store import metric_samples
from cairn.store.database import Database

from .validation import validate_key

MAX_RUNS_PER_REQUEST = 100
MAX_HISTORY_POINTS = 25_000
MAX_SAMPLED_POINTS_PER_RUN = 2_500


def get_metric_histories(
    db: Database, run_ids: Sequence[str], key: str | None, max_results: int | None = None
) -> list[tuple[str, Metric]]:
    """(run id, point) pairs ordered by run id, then timestamp, step and value."""
    if not run_ids:
        raise InvalidParameter("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_RUNS_PER_REQUEST:
        raise InvalidParameter(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUNS_PER_REQUEST} run_ids. "
            f"Received {len(run_ids)} run_ids; split the runs over several requests."
        )
    if not key:
        raise InvalidParameter("GetMetricHistoryBulk request must specify a metric_key.")
    validate_key("metric", key)
    limit = MAX_HISTORY_POINTS
    if max_results is not None:
        if max_results < 1:
            raise InvalidParameter(f"max_results must be a positive integer, got {max_results}.")
        limit = min(max_results, MAX_HISTORY_POINTS)
    with db.read() as tx:
        return metric_samples.read_histories(tx, run_ids, key, limit)


def sample_metric_histories(
    db: Database,
    run_ids: Sequence[str],
    key: str | None,
    max_results: int | None = None,
    start_step: int | None = None,
    end_step: int | None = None,
) -> list[tuple[str, Metric]]:
    """(run id, point) pairs: each run's sample in (step, timestamp, value) order, runs in the
    order given. ``start_step`` and ``end_step`` come together or not at all."""
    if not run_ids:
        raise InvalidParameter("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_RUNS_PER_REQUEST:
        raise InvalidParameter(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS_PER_REQUEST} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    if not key:
        raise InvalidParameter("Missing value for required parameter 'metric_key'.")
    validate_key("metric", key)
    per_run = MAX_SAMPLED_POINTS_PER_RUN if max_results is None else max_results
    if not 1 <= per_run <= MAX_SAMPLED_POINTS_PER_RUN:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_SAMPLED_POINTS_PER_RUN}.")
    step_range = None
    if start_step is not None and end_step is not None:
        if start_step > end_step:
            raise InvalidParameter(
                "end_step must be greater than start_step. "
                f"Found start_step={start_step} and end_step={end_step}."
            )
        step_range = (start_step, end_step)
    elif start_step is not None or end_step is not None:
        raise InvalidParameter("If either start step or end step are specified, both must be specified.")
    with db.read() as tx:
        samples = metric_samples.sample_histories(tx, run_ids, key, per_run, step_range)
    return [(run_id, point) for run_id in run_ids for point in samples.get(run_id, ())]
