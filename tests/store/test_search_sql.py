import math

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cairn.store import schema
from cairn.store.database import open_database
from cairn.store.search_grammar import parse_filter, parse_order_by
from cairn.store.search_sql import apply_filter, apply_order
from tests import backends

# run id -> (name, status, start_time, end_time, lifecycle_stage)
RUNS = {
    "r01": ("alpha", "FINISHED", 1000, 1500, "active"),
    "r02": ("beta", "FINISHED", 2000, 2500, "active"),
    "r03": ("gamma", "FAILED", 3000, 3100, "active"),
    "r04": ("delta", "RUNNING", 4000, None, "active"),
    "r05": ("Epsilon", "FINISHED", 5000, 5200, "active"),
    "r06": ("zeta", "KILLED", 6000, 6001, "active"),
    "r07": ("eta", "FINISHED", 7000, 9000, "active"),
    "r08": ("theta", "FINISHED", 8000, 8100, "active"),
    "r09": ("iota", "FINISHED", 8000, 8200, "active"),
    "r10": ("kappa", "SCHEDULED", None, None, "deleted"),
}
ACC = {"r01": 0.9, "r02": 0.8, "r03": math.nan, "r04": 0.95, "r05": 0.0, "r06": -1.5, "r07": 1e3}
PARAMS = {
    ("r01", "optimizer"): "Adam",
    ("r02", "optimizer"): "adam",
    ("r03", "optimizer"): "sgd",
    ("r04", "optimizer"): "ADAM-W",
    ("r05", "optimizer"): "a*[b]?",
    ("r06", "optimizer"): "a\\b",
    ("r01", "lr"): "0.1",
    ("r02", "lr"): "0.01",
}
TAGS = {
    ("r01", "team"): "vision",
    ("r02", "team"): "nlp",
    ("r03", "team"): "Vision",
    ("r07", "team"): "vision",
    ("r04", "my tag"): "x",
    ("r05", "mlflow.source.type"): "NOTEBOOK",
}
DATASETS = {"ds1": ("mnist", "d1"), "ds2": ("mnist", "d2"), "ds3": ("imagenet", "d3")}
INPUTS = [
    ("r01", "ds1", "training"),
    ("r02", "ds1", "validation"),
    ("r02", "ds3", "training"),
    ("r03", "ds2", "training"),
    ("r04", "ds3", None),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    uri, _ = backends.new_store(tmp_path_factory.mktemp("search"))
    db = open_database(uri)
    engine = db.engine
    with engine.begin() as conn:
        conn.execute(
            schema.experiments.insert(),
            [dict(experiment_id=1, name="exp", artifact_location="a", lifecycle_stage="active",
                  creation_time=0, last_update_time=0)],
        )  # fmt: skip
        conn.execute(
            schema.runs.insert(),
            [
                dict(run_id=run_id, experiment_id=1, name=name, user_id="ann", status=status,
                     start_time=start, end_time=end, lifecycle_stage=stage,
                     artifact_uri=f"s3://bucket/{run_id}")
                for run_id, (name, status, start, end, stage) in RUNS.items()
            ],
        )  # fmt: skip
        conn.execute(
            schema.latest_metrics.insert(),
            [
                dict(run_id=run_id, key="acc", step=0, timestamp=0,
                     value=0.0 if math.isnan(value) else value, is_nan=math.isnan(value))
                for run_id, value in ACC.items()
            ],
        )  # fmt: skip
        conn.execute(
            schema.params.insert(),
            [dict(run_id=r, key=k, value=v) for (r, k), v in PARAMS.items()],
        )
        conn.execute(
            schema.tags.insert(), [dict(run_id=r, key=k, value=v) for (r, k), v in TAGS.items()]
        )
        conn.execute(
            schema.datasets.insert(),
            [
                dict(dataset_id=i, experiment_id=1, name=name, digest=digest, source_type="local",
                     source=f"/data/{name}")
                for i, (name, digest) in DATASETS.items()
            ],
        )  # fmt: skip
        conn.execute(
            schema.run_inputs.insert(),
            [dict(run_id=r, dataset_id=d, context=c, tags="{}") for r, d, c in INPUTS],
        )
    yield engine
    db.close()
    backends.drop_store(uri)


def search(engine, filter_text=None, order_by=None):
    stmt = sa.select(schema.runs.c.run_id)
    stmt = apply_order(apply_filter(stmt, parse_filter(filter_text)), parse_order_by(order_by))
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def matching(engine, filter_text):
    return sorted(search(engine, filter_text))


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("metrics.acc > 0.85", ["r01", "r04", "r07"]),
        ("metrics.acc >= 0.9", ["r01", "r04", "r07"]),
        ("metrics.acc < 0", ["r06"]),
        ("metrics.acc <= -1.5", ["r06"]),
        ("metrics.acc = 1e3", ["r07"]),
        ("metrics.acc > -2", ["r01", "r02", "r04", "r05", "r06", "r07"]),
    ],
)
def test_metric_comparisons_match_latest_values(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


def test_nan_metric_does_not_pass_for_its_stored_zero(engine):
    assert matching(engine, "metrics.acc = 0") == ["r05"]
    assert matching(engine, "metrics.acc <= 0") == ["r05", "r06"]


def test_nan_metric_is_unequal_to_every_number_and_runs_without_metric_are_left_out(engine):
    assert matching(engine, "metrics.acc != 0.9") == ["r02", "r03", "r04", "r05", "r06", "r07"]


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("params.optimizer = 'adam'", ["r02"]),
        ('params.optimizer = "Adam"', ["r01"]),
        ("params.lr = '0.1'", ["r01"]),
        ("tags.team = 'vision'", ["r01", "r07"]),
        ("tags.`my tag` = 'x'", ["r04"]),
        ("tags.mlflow.source.type = 'NOTEBOOK'", ["r05"]),
        ("tags.\"mlflow.source.type\" = 'NOTEBOOK'", ["r05"]),
    ],
)
def test_param_and_tag_equality_is_exact_and_case_sensitive(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


def test_not_equal_leaves_out_runs_without_the_key(engine):
    assert matching(engine, "tags.team != 'vision'") == ["r02", "r03"]
    assert matching(engine, "params.lr != '0.1'") == ["r02"]


def test_is_null_and_is_not_null_test_for_the_key(engine):
    assert matching(engine, "params.lr IS NULL") == sorted(set(RUNS) - {"r01", "r02"})
    assert matching(engine, "params.lr IS NOT NULL") == ["r01", "r02"]
    assert matching(engine, "tags.team is null and params.optimizer is not null") == [
        "r04", "r05", "r06",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("params.optimizer LIKE 'A%'", ["r01", "r04"]),
        ("params.optimizer LIKE '%dam'", ["r01", "r02"]),
        ("params.optimizer LIKE '%DAM%'", ["r04"]),
        ("params.optimizer LIKE '_dam'", ["r01", "r02"]),
        ("params.optimizer ILIKE 'a%'", ["r01", "r02", "r04", "r05", "r06"]),
        ("params.optimizer ILIKE 'ADAM'", ["r01", "r02"]),
        ("tags.team ILIKE 'VISION'", ["r01", "r03", "r07"]),
        ("tags.team LIKE 'V%'", ["r03"]),
    ],
)
def test_like_is_case_sensitive_and_ilike_is_not(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("params.optimizer LIKE 'a*[b]?'", ["r05"]),
        ("params.optimizer LIKE 'a*%'", ["r05"]),
        ("params.optimizer LIKE '%?'", ["r05"]),
        ("params.optimizer LIKE 'a\\b'", ["r06"]),
        ("params.optimizer ILIKE 'A\\%'", ["r06"]),
    ],
)
def test_like_treats_glob_characters_and_backslash_as_ordinary(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


def test_like_patterns_with_the_same_shape_are_not_mixed_up_by_statement_caching(engine):
    assert matching(engine, "params.optimizer LIKE 'A%'") == ["r01", "r04"]
    assert matching(engine, "params.optimizer LIKE 'a%'") == ["r02", "r05", "r06"]
    assert matching(engine, "params.optimizer LIKE 's%'") == ["r03"]


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("tags.team = 'vision' OR params.lr = '0.01'", ["r01", "r02", "r07"]),
        ("tags.team = 'nlp' OR tags.team = 'Vision' AND metrics.acc > 0", ["r02"]),
        ("(tags.team = 'nlp' OR tags.team = 'Vision') AND metrics.acc != 5", ["r02", "r03"]),
        ("metrics.acc > 0.85 AND (status = 'RUNNING' OR (run_name = 'eta'))", ["r04", "r07"]),
        ("((metrics.acc < 0)) or params.optimizer = 'sgd' or attributes.run_id = 'r09'",
         ["r03", "r06", "r09"]),
    ],
)  # fmt: skip
def test_or_and_parentheses_combine_with_and_binding_tighter(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("attributes.status = 'FINISHED'", ["r01", "r02", "r05", "r07", "r08", "r09"]),
        ("status != 'FINISHED'", ["r03", "r04", "r06", "r10"]),
        ("run_name = 'eta'", ["r07"]),
        ("attributes.`Run name` LIKE '%eta'", ["r02", "r06", "r07", "r08"]),
        ("attributes.run_name ILIKE 'e%'", ["r05", "r07"]),
        ("attributes.run_name LIKE 'e%'", ["r07"]),
        ("attr.run_id IN ('r01', 'r03', 'nope')", ["r01", "r03"]),
        ("attr.run_id NOT IN ('r01', 'r02', 'r03', 'r04', 'r05')",
         ["r06", "r07", "r08", "r09", "r10"]),
        ("attributes.start_time >= 3000 AND attributes.start_time < 6000", ["r03", "r04", "r05"]),
        ("created > 7500", ["r08", "r09"]),
        ("attributes.start_time > 7999.5", ["r08", "r09"]),
        ("attributes.end_time != 1500", ["r02", "r03", "r05", "r06", "r07", "r08", "r09"]),
        ("attributes.lifecycle_stage = 'deleted'", ["r10"]),
        ("attributes.user_id = 'ann' AND attributes.artifact_uri LIKE '%/r1%'", ["r10"]),
    ],
)  # fmt: skip
def test_attribute_filters_compare_run_columns(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("datasets.digest = 'd1'", ["r01", "r02"]),
        ("datasets.name = 'mnist'", ["r01", "r02", "r03"]),
        ("datasets.name IN ('imagenet')", ["r02", "r04"]),
        ("datasets.digest NOT IN ('d1')", ["r02", "r03", "r04"]),
        ("datasets.name LIKE 'MN%'", []),
        ("datasets.name ILIKE 'MN%'", ["r01", "r02", "r03"]),
        ("datasets.context = 'training'", ["r01", "r02", "r03"]),
        ("datasets.context = 'validation'", ["r02"]),
        ("datasets.context != 'training'", ["r02"]),
        ("datasets.context IN ('validation', 'test')", ["r02"]),
        ("datasets.digest = 'd2' OR datasets.context = 'validation'", ["r02", "r03"]),
    ],
)
def test_dataset_filters_match_any_input_of_the_run(engine, filter_text, expected):
    assert matching(engine, filter_text) == expected


@pytest.mark.parametrize(
    "filter_text",
    [
        "params.optimizer = \"' OR 1=1 --\"",
        "tags.team = \"vision' OR '1'='1\"",
        "params.optimizer LIKE \"%' OR 1=1 --\"",
        "attributes.run_id IN (\"r01') OR ('1'='1\")",
        "datasets.name = \"mnist'; DROP TABLE runs; --\"",
    ],
)
def test_filter_values_holding_sql_match_nothing(engine, filter_text):
    assert search(engine, filter_text) == []
    assert len(search(engine)) == len(RUNS)


def test_default_order_is_start_time_descending_then_run_id_with_missing_start_last(engine):
    assert search(engine) == ["r08", "r09", "r07", "r06", "r05", "r04", "r03", "r02", "r01", "r10"]


def test_ordering_by_metric_puts_nan_after_numbers_and_missing_last_both_ways(engine):
    numbers_desc = ["r07", "r04", "r01", "r02", "r05", "r06"]
    missing = ["r08", "r09", "r10"]
    assert search(engine, order_by=["metrics.acc DESC"]) == numbers_desc + ["r03"] + missing
    assert search(engine, order_by=["metrics.acc"]) == numbers_desc[::-1] + ["r03"] + missing


def test_ordering_by_param_sorts_strings_and_puts_runs_without_it_last(engine):
    present = ["r04", "r01", "r05", "r06", "r02", "r03"]
    missing = ["r08", "r09", "r07", "r10"]
    assert search(engine, order_by=["params.optimizer ASC"]) == present + missing
    assert search(engine, order_by=["params.optimizer DESC"]) == present[::-1] + missing


def test_ordering_by_several_keys_applies_them_in_turn_then_the_default(engine):
    assert search(engine, "tags.team IS NOT NULL", ["tags.team", "metrics.acc DESC"]) == [
        "r03", "r02", "r07", "r01",
    ]  # fmt: skip
    either = "tags.`my tag` = 'x' OR tags.team = 'vision'"
    assert search(engine, either, ["tags.`my tag` DESC"]) == ["r04", "r07", "r01"]


def test_ordering_by_attributes_sorts_run_columns_with_missing_values_last(engine):
    assert search(engine, order_by=["attributes.end_time DESC"]) == [
        "r07", "r09", "r08", "r06", "r05", "r03", "r02", "r01", "r04", "r10",
    ]  # fmt: skip
    assert search(engine, order_by=["attributes.end_time"]) == [
        "r01", "r02", "r03", "r05", "r06", "r08", "r09", "r07", "r04", "r10",
    ]  # fmt: skip
    assert search(engine, order_by=["run_name"]) == [
        "r05", "r01", "r02", "r04", "r07", "r03", "r09", "r10", "r08", "r06",
    ]  # fmt: skip
    assert search(engine, order_by=["created ASC"]) == [
        "r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10",
    ]  # fmt: skip


def test_filter_and_order_compile_for_postgresql_without_sqlite_functions():
    stmt = sa.select(schema.runs.c.run_id)
    expr = parse_filter("params.x LIKE \"A%' OR 1=1\" OR tags.t ILIKE 'b_' OR metrics.m > 1")
    stmt = apply_order(apply_filter(stmt, expr), parse_order_by(["metrics.m DESC", "params.x"]))
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert "GLOB" not in sql
    assert "OR 1=1" not in sql
    assert "params.value LIKE" in sql
