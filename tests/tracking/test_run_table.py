from __future__ import annotations

import math

import pytest

from cairn.entities import Metric, Param, RunTag
from cairn.errors import InvalidFilter, InvalidParameter, NotFound
from cairn.tracking import experiments, run_data, runs
from cairn.tracking.run_table import (
    MAX_TABLE_ROWS,
    TableQuery,
    parse_column,
    table_groups,
    table_keys,
    table_rows,
)

PARENT = "mlflow.parentRunId"


@pytest.fixture
def exp(db) -> str:
    return experiments.create_experiment(db, "table")


def add(db, exp: str, name: str, start: int, metrics=None, params=None, tags=None) -> str:
    run_id = runs.create_run(db, exp, run_name=name, start_time=start).info.run_id
    run_data.log_batch(
        db, run_id,
        [Metric(k, v, 1, 0) for k, v in (metrics or {}).items()],
        [Param(k, v) for k, v in (params or {}).items()],
        [RunTag(k, v) for k, v in (tags or {}).items()],
    )  # fmt: skip
    return run_id


def names(found) -> list[str]:
    return [row.info.run_name for row in found.rows]


def q(exp: str, **kwargs) -> TableQuery:
    columns = kwargs.pop("cols", ())
    return TableQuery.parse(exp, columns=columns, **kwargs)


def test_rows_come_in_windows_newest_first_with_the_chosen_columns(db, exp):
    for i in range(7):
        add(db, exp, f"r{i}", 1000 + i, {"acc": i / 10}, {"opt": "adam"}, {"team": "cv"})
    first = table_rows(db, q(exp, cols=["metrics.acc", "params.opt", "tags.team", "attributes.run_name"]), 0, 3)
    assert names(first) == ["r6", "r5", "r4"]
    assert first.rows[0].values == [0.6, "adam", "cv", "r6"]
    assert (first.total, first.matched) == (7, 7)
    later = table_rows(db, q(exp), 6, 3)
    assert names(later) == ["r0"]
    assert later.total is None  # counted once, with the first window


def test_sorting_by_a_metric_puts_nan_and_missing_values_last(db, exp):
    add(db, exp, "low", 1, {"acc": 0.1})
    add(db, exp, "nan", 2, {"acc": math.nan})
    add(db, exp, "none", 3)
    add(db, exp, "high", 4, {"acc": 0.9})
    found = table_rows(db, q(exp, order="metrics.`acc` DESC", cols=["metrics.acc"]), 0, 10)
    assert names(found) == ["high", "low", "nan", "none"]
    assert math.isnan(found.rows[2].values[0]) and found.rows[3].values[0] is None


def test_children_nest_under_a_listed_parent_and_are_counted(db, exp):
    parent = add(db, exp, "parent", 10)
    for i in range(3):
        add(db, exp, f"child{i}", 20 + i, {"acc": i}, tags={PARENT: parent})
    add(db, exp, "alone", 5)
    top = table_rows(db, q(exp), 0, 10)
    assert names(top) == ["parent", "alone"]
    assert [r.children for r in top.rows] == [3, 0]
    assert (top.total, top.matched) == (2, 5)
    children = table_rows(db, q(exp, order="metrics.`acc` DESC"), 0, 10, parent=parent)
    assert names(children) == ["child2", "child1", "child0"]


def test_a_child_whose_parent_is_filtered_out_shows_at_the_top_level(db, exp):
    parent = add(db, exp, "parent", 10, {"acc": 0.1})
    add(db, exp, "good-child", 20, {"acc": 0.9}, tags={PARENT: parent})
    add(db, exp, "bad-child", 21, {"acc": 0.2}, tags={PARENT: parent})
    found = table_rows(db, q(exp, filter="metrics.acc > 0.5"), 0, 10)
    assert names(found) == ["good-child"]
    assert table_rows(db, q(exp, filter="metrics.acc < 0.5"), 0, 10).rows[0].children == 1


def test_a_run_naming_itself_as_parent_is_not_hidden(db, exp):
    run_id = add(db, exp, "loop", 1)
    run_data.set_tag(db, run_id, RunTag(PARENT, run_id))
    assert names(table_rows(db, q(exp), 0, 10)) == ["loop"]


def test_groups_aggregate_min_mean_max_per_metric_in_sql(db, exp):
    add(db, exp, "a1", 1, {"acc": 0.2, "loss": 3.0}, {"opt": "adam"})
    add(db, exp, "a2", 2, {"acc": 0.6}, {"opt": "adam"})
    add(db, exp, "a3", 3, {"acc": math.nan}, {"opt": "adam"})
    add(db, exp, "s1", 4, {"acc": 0.9, "loss": 1.0}, {"opt": "sgd"})
    add(db, exp, "x", 5, {"acc": 0.5})
    found = table_groups(db, q(exp, group="params.opt", cols=["metrics.acc", "params.lr", "metrics.loss"]))
    assert [(g.value, g.runs) for g in found.groups] == [("adam", 3), ("sgd", 1), (None, 1)]
    adam = found.groups[0].aggregates
    assert (adam[0].min, adam[0].max, adam[0].runs) == (0.2, 0.6, 2)  # NaN is left out
    assert adam[0].mean == pytest.approx(0.4)
    assert (adam[1].min, adam[1].mean, adam[1].max, adam[1].runs) == (3.0, 3.0, 3.0, 1)
    assert (found.total, found.matched) == (3, 5)


def test_groups_follow_the_mean_of_the_sorted_metric(db, exp):
    add(db, exp, "a", 1, {"acc": 0.2}, {"opt": "adam"})
    add(db, exp, "s", 2, {"acc": 0.9}, {"opt": "sgd"})
    add(db, exp, "r", 3, {}, {"opt": "rmsprop"})
    desc = table_groups(db, q(exp, group="params.opt", cols=["metrics.acc"], order="metrics.`acc` DESC"))
    assert [g.value for g in desc.groups] == ["sgd", "adam", "rmsprop"]
    by_value = table_groups(db, q(exp, group="params.opt", order="params.`opt` DESC"))
    assert [g.value for g in by_value.groups] == ["sgd", "rmsprop", "adam"]


def test_the_runs_of_one_group_and_of_the_missing_value(db, exp):
    add(db, exp, "a", 1, params={"opt": "adam"})
    add(db, exp, "s", 2, params={"opt": "sgd"})
    add(db, exp, "n", 3)
    grouped = q(exp, group="params.opt")
    assert names(table_rows(db, grouped, group_value="sgd", in_group=True)) == ["s"]
    assert names(table_rows(db, grouped, group_value=None, in_group=True)) == ["n"]


def test_a_group_window_keeps_the_filter(db, exp):
    add(db, exp, "a", 1, {"acc": 0.1}, {"opt": "adam"})
    add(db, exp, "b", 2, {"acc": 0.9}, {"opt": "adam"})
    found = table_groups(db, q(exp, group="params.opt", filter="metrics.acc > 0.5", cols=["metrics.acc"]))
    assert [(g.value, g.runs, g.aggregates[0].max) for g in found.groups] == [("adam", 1, 0.9)]


def test_keys_list_what_active_runs_use(db, exp):
    add(db, exp, "a", 1, {"acc": 1.0}, {"lr": "0.1"}, {"team": "cv"})
    gone = add(db, exp, "b", 2, {"old": 1.0})
    runs.delete_run(db, gone)
    keys = table_keys(db, exp)
    assert keys.metrics == ["acc"] and keys.params == ["lr"]
    assert "team" in keys.tags and "run_id" in keys.attributes


@pytest.mark.parametrize("text, match", [
    ("acc", "write entity.key"),
    ("metric.acc", "write entity.key"),
    ("attributes.secret", "Unknown attribute column"),
    ("params.", "write entity.key"),
])  # fmt: skip
def test_bad_columns_are_invalid_parameter(text, match):
    with pytest.raises(InvalidParameter, match=match):
        parse_column(text)


def test_grouping_by_a_metric_is_refused(exp):
    with pytest.raises(InvalidParameter, match="Group by a param or a tag"):
        TableQuery.parse(exp, group="metrics.acc")


def test_a_bad_order_is_invalid_parameter_not_a_filter_error(exp):
    with pytest.raises(InvalidParameter, match="order_by") as caught:
        TableQuery.parse(exp, order="metrics.acc SIDEWAYS")
    assert not isinstance(caught.value, InvalidFilter)


def test_a_malformed_filter_says_where(db, exp):
    with pytest.raises(InvalidFilter) as caught:
        table_rows(db, q(exp, filter="metrics.acc >> 1"))
    assert caught.value.position == 13


@pytest.mark.parametrize("offset, limit", [(-1, 10), (0, 0), (0, MAX_TABLE_ROWS + 1)])
def test_window_bounds_are_checked(db, exp, offset, limit):
    with pytest.raises(InvalidParameter):
        table_rows(db, q(exp), offset, limit)


def test_an_unknown_experiment_is_not_found(db):
    with pytest.raises(NotFound):
        table_rows(db, q("999"))
