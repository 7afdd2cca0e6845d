"""Runs as a pandas DataFrame with MLflow's column names (``metrics.x``, ``params.y``, ``tags.z``).

pandas is optional: without it ``search_runs`` returns a list of ``Run`` and says so once.
"""

from __future__ import annotations

from typing import Any

from cairn.entities import Run


def runs_to_dataframe(runs: list[Run]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        return runs
    records: list[dict[str, Any]] = []
    for run in runs:
        info = run.info
        record: dict[str, Any] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "status": info.status,
            "artifact_uri": info.artifact_uri,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True) if info.start_time else None,
            "end_time": pd.to_datetime(info.end_time, unit="ms", utc=True) if info.end_time else None,
        }
        record.update({f"metrics.{k}": m.value for k, m in run.data.metrics.items()})
        record.update({f"params.{k}": v for k, v in run.data.params.items()})
        record.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        records.append(record)
    columns = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    ordered = columns + sorted(c for c in frame.columns if c not in columns)
    return frame[ordered]
