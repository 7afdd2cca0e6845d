"""The same runs in a Cairn store and in an MLflow store, written fast.

Ten thousand runs logged one request at a time would take longer than the measurements, so both
stores are written directly, each in one transaction:

* Cairn through ``cairn.store`` (``runs.insert_run``, ``runs.insert_params``,
  ``metrics.insert_metrics``): the functions its domain layer calls when a run is logged, so the
  rows (latest-value table and series ids included) are the ones ``log_batch`` would write;
* MLflow into the SQLite database its server created (the server has run its migrations, the
  experiment is created through its REST API), with ``executemany`` into ``runs``, ``tags``
  (``mlflow.runName``, ``mlflow.user``), ``params``, ``metrics`` and ``latest_metrics``: the rows
  its ``SqlAlchemyStore`` writes for the same calls.

Both get the same run ids, names, start times, params, metrics and the one long series (a slow
decay with noise and a few one-step spikes), from one seeded generator.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PARAMS = ("optimizer", "lr", "batch_size", "layers")
METRICS = ("accuracy", "loss", "f1", "val_loss")
OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad")
SERIES_KEY = "loss"
SPIKE_VALUES = (50.0, 51.0, 52.0)  # one-step spikes; distinct, so each can be found in what is drawn
START_MS = 1_700_000_000_000
CHUNK = 100_000


@dataclass(frozen=True)
class RunRow:
    run_id: str
    name: str
    start: int
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


@dataclass
class Data:
    runs: list[RunRow]
    series_run: RunRow
    series_points: int
    spikes: dict[int, float] = field(default_factory=dict)  # step -> value

    def series(self) -> Iterator[tuple[int, int, float]]:
        """(step, timestamp, value) of the long series: a slow decay with noise, and the spikes."""
        rng = random.Random(7)
        for step in range(self.series_points):
            noisy = 2.0 / (1 + step / 20_000) + rng.random() * 0.02
            yield step, START_MS + step * 10, self.spikes.get(step, noisy)


def make_data(runs: int, series_points: int) -> Data:
    rng = random.Random(42)
    rows = []
    for i in range(runs):
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        params = {"optimizer": OPTIMIZERS[i % 4], "lr": str(10 ** -(1 + i % 4)),
                  "batch_size": str(32 * (1 + i % 4)), "layers": str(2 + i % 6)}
        acc = round(0.5 + 0.5 * rng.random(), 6)
        metrics = {"accuracy": acc, "loss": round(1 - acc + rng.random() * 0.1, 6),
                   "f1": round(acc - rng.random() * 0.05, 6), "val_loss": round(1.1 - acc + rng.random() * 0.1, 6)}
        rows.append(RunRow(run_id, f"run-{i:05d}", START_MS + i * 60_000, params, metrics, {"team": "vision" if i % 2 else "tabular"}))
    series_run = RunRow(uuid.UUID(int=rng.getrandbits(128), version=4).hex, "long-series",
                        START_MS + runs * 60_000, {"optimizer": "adam"}, {}, {})
    steps = sorted(rng.sample(range(series_points), len(SPIKE_VALUES))) if series_points else []
    return Data(rows, series_run, series_points, dict(zip(steps, SPIKE_VALUES, strict=True)))


def seed_cairn(db_url: str, data: Data) -> str:
    """Write ``data`` into a Cairn store; returns the experiment id."""
    from cairn.entities import Metric, RunInfo
    from cairn.store import metrics as metric_rows
    from cairn.store import runs as run_rows
    from cairn.store.database import open_database
    from cairn.tracking import experiments
    from cairn.tracking.locations import run_artifact_uri

    db = open_database(db_url)
    try:
        experiment_id = experiments.create_experiment(db, "bench")
        location = experiments.get_experiment(db, experiment_id).artifact_location
        with db.write() as tx:
            for run in [*data.runs, data.series_run]:
                info = RunInfo(run.run_id, experiment_id, run.name, "bench", "FINISHED", run.start,
                               run.start + 90_000, run_artifact_uri(location, run.run_id))
                run_rows.insert_run(tx, info, {"mlflow.runName": run.name, "mlflow.user": "bench", **run.tags})
                run_rows.insert_params(tx, run.run_id, run.params)
                metric_rows.insert_metrics(tx, run.run_id, [Metric(k, v, run.start, 0) for k, v in run.metrics.items()])
            points: list[Metric] = []
            for step, timestamp, value in data.series():
                points.append(Metric(SERIES_KEY, value, timestamp, step))
                if len(points) == CHUNK:
                    metric_rows.insert_metrics(tx, data.series_run.run_id, points)
                    points = []
            metric_rows.insert_metrics(tx, data.series_run.run_id, points)
        return experiment_id
    finally:
        db.close()


def seed_mlflow(db_path: Path, experiment_id: str, artifact_location: str, data: Data) -> None:
    """Write ``data`` into the SQLite database of a running MLflow server, into the experiment
    ``experiment_id`` whose artifacts live under ``artifact_location``."""
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        with conn:
            runs, tags, params, latest = [], [], [], []
            for run in [*data.runs, data.series_run]:
                runs.append((run.run_id, run.name, "LOCAL", "", "", "bench", "FINISHED", run.start, run.start + 90_000,
                             "", "active", f"{artifact_location}/{run.run_id}/artifacts", int(experiment_id)))
                tags += [(k, v, run.run_id) for k, v in {"mlflow.runName": run.name, "mlflow.user": "bench", **run.tags}.items()]
                params += [(k, v, run.run_id) for k, v in run.params.items()]
                latest += [(k, v, run.start, 0, 0, run.run_id) for k, v in run.metrics.items()]
            conn.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
                "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
            conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
            conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
            conn.executemany("INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
                             latest)
            series = [(SERIES_KEY, value, timestamp, step, 0, data.series_run.run_id) for step, timestamp, value in data.series()]
            conn.executemany("INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
                             series)
            if series:
                step, timestamp, value = max((s[3], s[2], s[1]) for s in series)
                latest.append((SERIES_KEY, value, timestamp, step, 0, data.series_run.run_id))
            conn.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
                latest)
    finally:
        conn.close()
