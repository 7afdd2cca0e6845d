from __future__ import annotations

import math

import pytest

from cairn.entities import DatasetInput, Dataset, Metric, Param, RunTag
from cairn.errors import InvalidParameter, NotFound
from cairn.tracking import metrics_history, run_data, runs


@pytest.fixture
def run_id(db) -> str:
    return runs.create_run(db, "0").run_id


def test_relogging_a_param_with_the_same_value_is_fine(db, run_id):
    run_data.log_param(db, run_id, Param("lr", "0.1"))
    run_data.log_param(db, run_id, Param("lr", "0.1"))
    assert runs.get_run(db, run_id).data.params == {"lr": "0.1"}


def test_param_overwrite_with_a_different_value_is_invalid_parameter(db, run_id):
    run_data.log_param(db, run_id, Param("lr", "0.1"))
    with pytest.raises(InvalidParameter, match="immutable") as caught:
        run_data.log_param(db, run_id, Param("lr", "0.2"))
    assert caught.value.message.startswith(
        f"Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' "
        f"for run ID='{run_id}'. Attempted logging new value '0.2'."
    )
    assert runs.get_run(db, run_id).data.params == {"lr": "0.1"}


def test_nan_and_infinities_round_trip(db, run_id):
    points = [Metric("m", math.nan, 1, 0), Metric("m", math.inf, 2, 1), Metric("m", -math.inf, 3, 2)]
    run_data.log_batch(db, run_id, metrics=points)
    history = metrics_history.get_metric_history(db, run_id, "m").items
    assert math.isnan(history[0].value)
    assert history[1].value == math.inf and history[2].value == -math.inf
    assert runs.get_run(db, run_id).data.metrics["m"].value == -math.inf


@pytest.mark.parametrize("size", [3, 500], ids=["small-batch", "bulk-batch"])
def test_a_batch_sent_again_stores_each_point_once(db, run_id, size):
    # A client retrying a batch whose answer it lost; bulk batches take the store's fast path.
    points = [Metric("loss", 1.0 / (s + 1), 1_000 + s, s) for s in range(size)]
    run_data.log_batch(db, run_id, metrics=points)
    run_data.log_batch(db, run_id, metrics=[*points, Metric("loss", 0.0, 5_000, size)])
    run_data.log_batch(db, run_id, metrics=[points[0], points[0], Metric("acc", math.nan, 1, 0)])
    history = metrics_history.get_metric_history(db, run_id, "loss").items
    assert [p.step for p in history] == list(range(size + 1))
    assert [p.value for p in history[:size]] == [p.value for p in points]
    assert math.isnan(metrics_history.get_metric_history(db, run_id, "acc").items[0].value)


def test_batch_with_one_invalid_entity_writes_nothing(db, run_id):
    good = [Metric("ok", float(i), i, i) for i in range(10)]
    with pytest.raises(InvalidParameter):
        run_data.log_batch(
            db, run_id, metrics=good + [Metric("bad key!", 1.0, 1, 1)],
            params=[Param("p", "v")], tags=[RunTag("t", "v")],
        )
    got = runs.get_run(db, run_id)
    assert got.data.metrics == {} and got.data.params == {}
    assert "t" not in got.data.tags


def test_batch_holding_one_param_key_with_two_values_is_refused_whole(db, run_id):
    with pytest.raises(InvalidParameter) as caught:
        run_data.log_batch(db, run_id, metrics=[Metric("m", 1.0, 1, 1)],
                           params=[Param("lr", "0.1"), Param("depth", "3"), Param("lr", "0.2")],
                           tags=[RunTag("t", "v")])
    message = caught.value.message
    assert message.startswith("Duplicate parameter keys have been submitted: ['lr'].")
    assert "'0.1'" in message and "'0.2'" in message and "nothing was written" in message
    got = runs.get_run(db, run_id)
    assert got.data.params == {} and got.data.metrics == {} and "t" not in got.data.tags


def test_batch_repeating_a_param_with_the_same_value_stores_it_once(db, run_id):
    run_data.log_batch(db, run_id, params=[Param("lr", "0.1"), Param("lr", "0.1"), Param("depth", "3")])
    assert runs.get_run(db, run_id).data.params == {"lr": "0.1", "depth": "3"}


def test_deleting_a_tag_the_run_does_not_have_uses_mlflows_words(db, run_id):
    with pytest.raises(NotFound) as caught:
        run_data.delete_tag(db, run_id, "fakeTag")
    assert caught.value.message.startswith(f"No tag with name: fakeTag in run with id {run_id}")


@pytest.mark.parametrize(
    ("batch", "field"),
    [
        ({"metrics": [Metric("ok", 1.0, 1, 0), Metric("../bad/metric/name", 0.3, 3, 0)]}, "metrics[1].name"),
        ({"params": [Param("ok", "v"), Param("../bad/param/name", "v")]}, "params[1].key"),
        ({"tags": [RunTag("../bad/tag/name", "v")]}, "tags[0].key"),
    ],
)
def test_a_bad_key_in_a_batch_names_its_field_as_mlflow_does(db, run_id, batch, field):
    with pytest.raises(InvalidParameter) as caught:
        run_data.log_batch(db, run_id, **batch)
    bad = field.split("[")[0].rstrip("s")
    assert caught.value.message.startswith(f'Invalid value "../bad/{bad}/name" for parameter \'{field}\' supplied: ')
    assert "must be a normalized relative path" in caught.value.message


def test_batch_conflicting_param_writes_nothing(db, run_id):
    run_data.log_param(db, run_id, Param("p", "1"))
    with pytest.raises(InvalidParameter):
        run_data.log_batch(db, run_id, metrics=[Metric("m", 1.0, 1, 1)], params=[Param("p", "2")])
    assert runs.get_run(db, run_id).data.metrics == {}


@pytest.mark.parametrize(
    ("metrics", "params", "tags"),
    [(1001, 0, 0), (0, 101, 0), (0, 0, 101), (981, 20, 0)],
)
def test_batch_limits_match_mlflow(db, run_id, metrics, params, tags):
    with pytest.raises(InvalidParameter, match="at most"):
        run_data.log_batch(
            db, run_id,
            metrics=[Metric("m", 1.0, 1, i) for i in range(metrics)],
            params=[Param(f"p{i}", "v") for i in range(params)],
            tags=[RunTag(f"t{i}", "v") for i in range(tags)],
        )


@pytest.mark.parametrize("key", ["", "a" * 251, "../x", "/abs", "a//b", "semi;colon", "./x"])
def test_bad_metric_keys_are_refused(db, run_id, key):
    with pytest.raises(InvalidParameter):
        run_data.log_metric(db, run_id, Metric(key, 1.0, 1, 0))


def test_oversized_param_value_is_refused_with_the_limit(db, run_id):
    with pytest.raises(InvalidParameter, match="6000"):
        run_data.log_param(db, run_id, Param("p", "x" * 6001))


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1, "5", 1.5, True])
def test_step_must_be_an_int64(db, run_id, step):
    with pytest.raises(InvalidParameter):
        run_data.log_metric(db, run_id, Metric("m", 1.0, 1, step))  # type: ignore[arg-type]


def test_wrong_value_type_is_refused(db, run_id):
    with pytest.raises(InvalidParameter, match="number"):
        run_data.log_metric(db, run_id, Metric("m", [1.0], 1, 0))  # type: ignore[arg-type]


def test_history_is_ordered_by_step_and_pages(db, run_id):
    run_data.log_batch(db, run_id, metrics=[Metric("m", float(s), 100 - s, s) for s in reversed(range(10))])
    page = metrics_history.get_metric_history(db, run_id, "m", max_results=4)
    assert [p.step for p in page.items] == [0, 1, 2, 3]
    rest = metrics_history.get_metric_history(db, run_id, "m", max_results=100, page_token=page.next_page_token)
    assert [p.step for p in rest.items] == list(range(4, 10)) and rest.next_page_token is None


def test_a_history_streamed_in_chunks_is_the_whole_history_in_order(db, run_id):
    for start in range(0, 2_500, 1_000):
        run_data.log_batch(db, run_id, metrics=[Metric("m", s / 10, 5_000 - s, s) for s in range(start, start + 1_000)])
    chunks = list(metrics_history.stream_metric_history(db, run_id, "m", chunk_size=700))
    assert [len(c) for c in chunks] == [700, 700, 700, 700, 200]
    assert [p.step for c in chunks for p in c] == list(range(3_000))


def test_history_max_results_must_be_positive(db, run_id):
    with pytest.raises(InvalidParameter):
        metrics_history.get_metric_history(db, run_id, "m", max_results=0)


def test_tags_overwrite_and_delete(db, run_id):
    run_data.set_tag(db, run_id, RunTag("k", "1"))
    run_data.set_tag(db, run_id, RunTag("k", "2"))
    assert runs.get_run(db, run_id).data.tags["k"] == "2"
    run_data.delete_tag(db, run_id, "k")
    assert "k" not in runs.get_run(db, run_id).data.tags


def test_same_dataset_used_by_two_runs_is_one_record(db, run_id):
    other = runs.create_run(db, "0").run_id
    ds = Dataset("iris", "abc123", "local", "/data/iris.csv")
    for r in (run_id, other):
        run_data.log_inputs(db, r, [DatasetInput(ds, {"mlflow.data.context": "training"})])
    assert runs.get_run(db, run_id).inputs[0].dataset.digest == "abc123"
    found = runs.search_runs(db, ["0"], filter_string="datasets.digest = 'abc123'").items
    assert {r.run_id for r in found} == {run_id, other}
    from sqlalchemy import func, select

    from cairn.store.schema import datasets

    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(datasets)).scalar_one() == 1


@pytest.mark.parametrize("points", [
    [Metric("loss", 0.5, 1, 0)],  # one key: the run is checked in the statement that writes it
    [Metric("loss", 0.5, 1, 0), Metric("loss", 0.4, 2, 1)],
    [Metric("loss", 0.5, 1, 0), Metric("acc", 0.9, 1, 0)],  # several keys: checked first
])  # fmt: skip
def test_points_for_a_deleted_or_missing_run_are_refused_and_write_nothing(db, run_id, points):
    runs.delete_run(db, run_id)
    with pytest.raises(InvalidParameter, match="must be in the 'active' state"):
        run_data.log_batch(db, run_id, metrics=points)
    runs.restore_run(db, run_id)
    assert runs.get_run(db, run_id).data.metrics == {}
    assert metrics_history.get_metric_history(db, run_id, "loss").items == []

    with pytest.raises(NotFound, match=f"Run with id={'0' * 32} not found"):
        run_data.log_batch(db, "0" * 32, metrics=points)
