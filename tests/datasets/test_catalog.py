"""Logging datasets through the SDK and finding them again: records, search, profiles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.datasets.digest import digest_frame
from cairn.errors import InvalidParameter, NotFound


@pytest.fixture
def client(store: Path) -> cairn.Client:
    return cairn.Client()


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"x": rng.normal(size=300), "label": rng.choice(["yes", "no"], size=300)})


def test_logged_dataframe_records_digest_schema_and_profile_on_the_run(store, frame) -> None:
    with cairn.start_run() as run:
        logged = cairn.log_dataset(frame, "train", context="training")
    stored = cairn.get_run(run.info.run_id).inputs
    assert [(i.dataset.name, i.dataset.digest, i.tags) for i in stored] == [
        ("train", digest_frame(frame), {"mlflow.data.context": "training"})]
    profile = json.loads(stored[0].dataset.profile)
    assert profile["num_rows"] == 300 and set(profile["features"]) == {"x", "label"}
    assert json.loads(stored[0].dataset.schema)["mlflow_colspec"][0] == {"type": "double", "name": "x", "required": True}
    assert logged.digest == stored[0].dataset.digest


def test_same_data_logged_by_two_runs_is_one_dataset_used_twice(client, frame) -> None:
    for _ in range(2):
        run = client.create_run("0")
        client.log_dataset(run.run_id, frame.copy(), "train")
    records = client.search_datasets(name="train")
    assert [(r.dataset.digest, r.run_count, r.contexts) for r in records] == [(digest_frame(frame), 2, ("training",))]
    assert len(client.list_dataset_runs("train")) == 2


def test_parquet_path_is_logged_with_its_content_digest_and_location(client, frame, tmp_path) -> None:
    path = tmp_path / "train.parquet"
    frame.to_parquet(path)
    run = client.create_run("0")
    logged = client.log_dataset(run.run_id, str(path), "train-file")
    assert logged.digest == digest_frame(frame)
    assert (logged.source_type, json.loads(logged.source)) == ("local", {"uri": str(path.resolve())})
    assert json.loads(logged.profile)["num_rows"] == 300


def test_uri_is_recorded_as_a_reference_with_its_version(client) -> None:
    run = client.create_run("0")
    v1 = client.log_dataset(run.run_id, "s3://lake/sales/2024.parquet", "sales", version="v1")
    v2 = client.log_dataset(run.run_id, "s3://lake/sales/2024.parquet", "sales", version="v2")
    table = client.log_dataset(run.run_id, "warehouse.customers", "customers", context="validation")
    assert v1.digest != v2.digest and v1.profile is None
    assert (v1.source_type, json.loads(v1.source)) == ("s3", {"uri": "s3://lake/sales/2024.parquet", "version": "v1"})
    assert table.source_type == "table"
    assert [r.dataset.name for r in client.search_datasets(source="lake/sales")] == ["sales", "sales"]


def test_search_filters_by_digest_prefix_context_and_runs_filter_by_dataset(client, frame) -> None:
    train_run, val_run = client.create_run("0"), client.create_run("0")
    train = client.log_dataset(train_run.run_id, frame, "train")
    client.log_dataset(val_run.run_id, frame.head(50), "val", context="validation")
    assert [r.dataset.name for r in client.search_datasets(digest=train.digest[:8])] == ["train"]
    assert [r.dataset.name for r in client.search_datasets(context="validation")] == ["val"]
    found = client.search_runs("0", f"datasets.digest = '{train.digest}'").items
    assert [r.run_id for r in found] == [train_run.run_id]


def test_dataset_logged_without_profile_gets_it_when_profiled_later(client, frame) -> None:
    run = client.create_run("0")
    client.log_dataset(run.run_id, frame, "train", profile=False)
    assert client.get_dataset("train").dataset.profile is None
    client.log_dataset(run.run_id, frame, "train")
    assert json.loads(client.get_dataset("train").dataset.profile)["num_rows"] == 300


def test_get_dataset_by_name_returns_the_most_recently_used_version(client, frame) -> None:
    old, new = client.create_run("0", start_time=1_000), client.create_run("0", start_time=2_000)
    client.log_dataset(old.run_id, frame, "train")
    latest = client.log_dataset(new.run_id, frame.head(100), "train")
    assert client.get_dataset("train").dataset.digest == latest.digest
    assert client.get_dataset(f"train@{latest.digest[:8]}").dataset.digest == latest.digest


def test_drift_compares_a_runs_training_data_with_a_frame_or_another_run(client, frame) -> None:
    before, after = client.create_run("0"), client.create_run("0")
    client.log_dataset(before.run_id, frame, "train")
    shifted = frame.assign(x=frame["x"] + 3)
    client.log_dataset(after.run_id, shifted, "train")
    assert client.measure_drift(before.run_id, f"run:{after.run_id}").drifted_features == ["x"]
    assert client.measure_drift(before.run_id, frame.copy()).drifted_features == []
    with pytest.raises(NotFound, match="logged no dataset"):
        client.measure_drift(client.create_run("0").run_id, frame)


def test_unknown_dataset_and_bad_inputs_raise_cairn_errors(client, tmp_path) -> None:
    run = client.create_run("0")
    with pytest.raises(NotFound, match="No dataset"):
        client.get_dataset("nothing-here")
    with pytest.raises(InvalidParameter, match="No file or folder"):
        client.log_dataset(run.run_id, str(tmp_path / "missing.csv"), "x")
    with pytest.raises(InvalidParameter, match="Cannot log a dict"):
        client.log_dataset(run.run_id, {"a": 1}, "x")
    with pytest.raises(InvalidParameter, match="needs a name"):
        client.log_dataset(run.run_id, pd.DataFrame({"a": [1]}), " ")


@pytest.mark.parametrize("store_dir", ["server"], indirect=True)
def test_through_a_server_datasets_are_logged_with_digest_and_searched_on_the_server(store_dir, frame) -> None:
    with cairn.start_run() as run:
        logged = cairn.log_dataset(frame, "train")
    [stored] = cairn.get_run(run.info.run_id).inputs
    assert (stored.dataset.digest, json.loads(stored.dataset.profile)["num_rows"]) == (logged.digest, 300)
    [found] = cairn.Client().search_datasets(name="train")
    assert (found.dataset.digest, found.run_count) == (logged.digest, 1)
