import random
import re

import pytest

from cairn.errors import InvalidParameter
from cairn.store.search_grammar import (
    And,
    Comparison,
    Or,
    OrderKey,
    parse_filter,
    parse_order_by,
)

pytestmark = pytest.mark.store_independent(reason="parsing search filters into an expression tree; no database")


def metric(key, op, value):
    return Comparison("metric", key, op, value)


def param(key, op, value):
    return Comparison("param", key, op, value)


def tag(key, op, value):
    return Comparison("tag", key, op, value)


def attr(key, op, value):
    return Comparison("attribute", key, op, value)


@pytest.mark.parametrize("text", [None, "", "   \n\t"])
def test_missing_or_blank_filter_means_no_filter(text):
    assert parse_filter(text) is None


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_metric_accepts_each_numeric_comparator(op):
    assert parse_filter(f"metrics.acc {op} 0.5") == metric("acc", op, 0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.lr = '0.1'", param("lr", "=", "0.1")),
        ("params.lr != '0.1'", param("lr", "!=", "0.1")),
        ("params.opt LIKE 'ad%'", param("opt", "LIKE", "ad%")),
        ("params.opt like 'ad%'", param("opt", "LIKE", "ad%")),
        ("tags.team ILIKE 'VIS%'", tag("team", "ILIKE", "VIS%")),
        ("tags.team IS NULL", tag("team", "IS NULL", None)),
        ("params.lr is not null", param("lr", "IS NOT NULL", None)),
        ("attributes.run_id IN ('a', 'b')", attr("run_id", "IN", ("a", "b"))),
        ("attributes.run_id not in ('a')", attr("run_id", "NOT IN", ("a",))),
        ("attributes.run_id IN (\"a\", 'b',)", attr("run_id", "IN", ("a", "b"))),
        ("datasets.digest IN ('d1', 'd2')", Comparison("dataset", "digest", "IN", ("d1", "d2"))),
        ("datasets.context NOT IN ('test')", Comparison("dataset", "context", "NOT IN", ("test",))),
        ("dataset.name LIKE 'mn%'", Comparison("dataset", "name", "LIKE", "mn%")),
    ],
)
def test_string_operators_parse_with_normalized_keywords(text, expected):
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.lr = \"0.1\"", param("lr", "=", "0.1")),
        ("tags.note = \"it's\"", tag("note", "=", "it's")),
        ("tags.note = 'say \"hi\"'", tag("note", "=", 'say "hi"')),
        ("tags.note = ''", tag("note", "=", "")),
        ("tags.note = 'it''s'", tag("note", "=", "it''s")),
        ("metrics.\"my metric\" > 1", metric("my metric", ">", 1.0)),
        ("metrics.`my metric` > 1", metric("my metric", ">", 1.0)),
        ("metrics.'my metric' > 1", metric("my metric", ">", 1.0)),
        ("params.`a b` = 'x'", param("a b", "=", "x")),
        ("`metrics`.acc > 1", metric("acc", ">", 1.0)),
        ("tags.mlflow.runName = 'x'", tag("mlflow.runName", "=", "x")),
        ("tags.\"mlflow.runName\" = 'x'", tag("mlflow.runName", "=", "x")),
        ("metrics.été>1", metric("été", ">", 1.0)),
    ],
)
def test_quoting_of_values_and_keys(text, expected):
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("literal", "value"),
    [("-1", -1.0), ("-1.5e-3", -1.5e-3), ("1e3", 1e3), ("2E+2", 2e2), (".5", 0.5), ("1.", 1.0)],
)
def test_metric_values_accept_negative_and_scientific_numbers(literal, value):
    assert parse_filter(f"metrics.loss < {literal}") == metric("loss", "<", value)


def test_integer_time_stays_exact_and_fractional_time_is_float():
    assert parse_filter("attributes.start_time >= 1700000000123") == attr(
        "start_time", ">=", 1700000000123
    )
    assert parse_filter("attributes.end_time < 1.5") == attr("end_time", "<", 1.5)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("run_name = 'x'", "name"),
        ("attributes.run_name = 'x'", "name"),
        ("attributes.`Run name` = 'x'", "name"),
        ("\"Run Name\" = 'x'", "name"),
        ("attr.status = 'x'", "status"),
        ("run.user_id = 'x'", "user_id"),
        ("attribute.artifact_uri = 'x'", "artifact_uri"),
        ("lifecycle_stage = 'x'", "lifecycle_stage"),
        ("run_id = 'x'", "run_id"),
    ],
)
def test_attribute_names_and_aliases_resolve_to_run_columns(text, column):
    assert parse_filter(text) == attr(column, "=", "x")


@pytest.mark.parametrize("text", ["created > 5", "Created > 5", "attributes.start_time > 5"])
def test_created_is_start_time(text):
    assert parse_filter(text) == attr("start_time", ">", 5)


@pytest.mark.parametrize(
    ("prefix", "entity"),
    [("metric", "metric"), ("metrics", "metric"), ("param", "param"), ("params", "param"),
     ("parameter", "param"), ("parameters", "param"), ("tag", "tag"), ("tags", "tag")],
)  # fmt: skip
def test_entity_prefixes_accept_mlflow_aliases(prefix, entity):
    value = 1.0 if entity == "metric" else "1"
    literal = "1" if entity == "metric" else "'1'"
    assert parse_filter(f"{prefix}.k = {literal}") == Comparison(entity, "k", "=", value)


def test_and_binds_tighter_than_or():
    a, b, c = metric("a", ">", 1.0), metric("b", ">", 1.0), metric("c", ">", 1.0)
    assert parse_filter("metrics.a > 1 OR metrics.b > 1 AND metrics.c > 1") == Or((a, And((b, c))))
    assert parse_filter("metrics.a > 1 and metrics.b > 1 or metrics.c > 1") == Or((And((a, b)), c))


def test_parentheses_group_and_same_operator_groups_flatten():
    a, b, c = metric("a", ">", 1.0), metric("b", ">", 1.0), metric("c", ">", 1.0)
    assert parse_filter("(metrics.a > 1 OR metrics.b > 1) AND metrics.c > 1") == And(
        (Or((a, b)), c)
    )
    assert parse_filter("metrics.a > 1 AND (metrics.b > 1 AND (metrics.c > 1))") == And((a, b, c))
    assert parse_filter("((((metrics.a > 1))))") == a


def test_nesting_up_to_the_limit_is_accepted():
    assert parse_filter("(" * 50 + "metrics.a > 1" + ")" * 50) == metric("a", ">", 1.0)


def error_of(text):
    with pytest.raises(InvalidParameter) as info:
        parse_filter(text)
    return info.value.message


def test_error_names_the_unexpected_token_its_position_and_an_example():
    message = error_of("metrics.acc >> 1")
    assert message.startswith(
        "Invalid filter 'metrics.acc >> 1': unexpected token '>' at position 13. Expected a number"
    )
    assert "Example: metrics.acc > 0.9" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("params.x = 'abc", "unterminated string starting at position 11"),
        ("metrics.`my metric > 1", "unterminated quoted name starting at position 8"),
        ("metrics.acc <> 1", "unsupported operator '<>' at position 12; use '!='"),
        ("metrics.acc == 1", "unsupported operator '==' at position 12; use '='"),
        ("metrics.acc ! 1", "unexpected token '!' at position 12"),
        ("metrics.acc 1", "unexpected token '1' at position 12. Expected an operator"),
        ("metrics.acc >", "unexpected end at position 13. Expected a number for metric 'acc'"),
        ("metrics.acc > 'a'", "unexpected token ''a'' at position 14. Expected a number"),
        ("metrics.acc = \"1\"", "unexpected token '\"1\"' at position 14. Expected a number"),
        ("metrics.acc LIKE '1%'", "operator 'LIKE' at position 12 is not supported for metric"),
        ("metrics.acc IS NULL", "operator 'IS NULL' at position 12 is not supported for metric"),
        ("metrics.acc IN (1)", "operator 'IN' at position 12 is not supported for metric 'acc'"),
        ("params.lr = 0.1", "unexpected token '0.1' at position 12. Expected a quoted string"),
        ("params.lr = adam", "unexpected token 'adam' at position 12. Expected a quoted string"),
        ("params.lr IN ('a')", "operator 'IN' at position 10 is not supported for param 'lr'"),
        ("status IN ('a')", "operator 'IN' at position 7 is not supported for attribute 'status'"),
        ("status IS NULL", "operator 'IS NULL' at position 7 is not supported for attribute"),
        ("datasets.name IS NULL", "operator 'IS NULL' at position 14 is not supported"),
        ("start_time LIKE 10", "operator 'LIKE' at position 11 is not supported"),
        ("start_time > '10'", "unexpected token ''10'' at position 13. Expected a number"),
        ("run_id = ('a')", "unexpected token '(' at position 9. Expected a quoted string"),
        ("run_id IN 'a'", "unexpected token ''a'' at position 10. Expected '('"),
        ("run_id IN ()", "unexpected token ')' at position 11. Expected a quoted string"),
        ("run_id IN ('a' 'b')", "unexpected token ''b'' at position 15. Expected ',' or ')'"),
        ("run_id IN (1, 2)", "unexpected token '1' at position 11. Expected a quoted string"),
        ("run_id IN ('a'", "unexpected end at position 14. Expected ',' or ')'"),
        ("params.x IS 'a'", "unexpected token ''a'' at position 12. Expected NULL after IS"),
        ("params.x IS NOT 'a'", "token ''a'' at position 16. Expected NULL after IS NOT"),
        ("params.x NOT LIKE 'a'", "unexpected token 'LIKE' at position 13. Expected IN after NOT"),
        ("metrics.acc > 1 abc", "unexpected token 'abc' at position 16. Expected AND, OR"),
        ("metrics.acc > 1 AND", "unexpected end at position 19. Expected a column"),
        ("metrics.acc > 1 AND AND metrics.b > 1", "unexpected token 'AND' at position 20"),
        ("OR metrics.acc > 1", "unexpected token 'OR' at position 0. Expected a column"),
        ("()", "unexpected token ')' at position 1. Expected a column"),
        ("(metrics.acc > 1", "unexpected end at position 16. Expected ')' to close the '('"),
        ("metrics.acc > 1)", "unexpected token ')' at position 15. Expected AND, OR"),
        ("metrics.acc > 1; metrics.b > 2", "unexpected character ';' at position 15"),
        ("metrics.acc > 0x10", "unexpected token '0x10' at position 14. Expected a number"),
        ("metrics.acc > 1.2.3", "unexpected token '1.2.3' at position 14. Expected a number"),
        ("start_time > 9" + "9" * 19, f"number '{'9' * 20}' at position 13 is out of range"),
        ("foo.x = 'a'", "unknown entity 'foo' in 'foo.x' at position 0"),
        ("METRICS.acc > 1", "unknown entity 'METRICS'"),
        ("metrics. > 1", "missing key after 'metrics.' at position 0"),
        ("metrics > 1", "unknown attribute 'metrics' at position 0"),
        ("attributes.RUN_ID = 'a'", "unknown attribute 'RUN_ID' at position 0"),
        ("datasets.source = 'x'", "unknown dataset field 'source' at position 0"),
        ("'Run name' = 'x'", "unexpected token ''Run name'' at position 0. Expected a column"),
        ("params.x = 'a\x00'", "NUL character at position 13"),
    ],
)  # fmt: skip
def test_invalid_filters_raise_invalid_parameter_naming_the_problem(text, fragment):
    message = error_of(text)
    assert message.startswith(f"Invalid filter '{text}': ")
    assert fragment in message
    assert "Example: " in message


def test_filter_over_the_length_limit_is_refused():
    text = "params.x = '" + "a" * 10_000 + "'"
    assert f"it is {len(text)} characters long; the limit is 10000" in error_of(text)


def test_parentheses_nested_too_deep_are_refused():
    message = error_of("(" * 51 + "metrics.a > 1" + ")" * 51)
    assert "parentheses nest deeper than 50 levels at position 50" in message


def test_non_string_filter_is_refused():
    with pytest.raises(InvalidParameter):
        parse_filter(42)  # type: ignore[arg-type]


def test_arbitrary_input_raises_only_invalid_parameter():
    pieces = ["metrics.a", "params.`b c`", "tags.'x", "(", ")", ",", "'v'", '"w"', "1", "-2.5e3",
              "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", ">", "<=", "!", "=", " ", ".", "`"]
    rng = random.Random(1234)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(1, 9)))
        try:
            parse_filter(text)
        except InvalidParameter:
            pass


def test_long_chain_of_conditions_under_the_length_limit_parses():
    text = " OR ".join(f"tags.t = '{i}'" for i in range(500))
    assert len(text) < 10_000
    assert len(parse_filter(text).items) == 500


MLFLOW_ACCEPTED = [
    "metrics.acc > 1 and params.lr = '0.1'",
    "metrics.acc>=-1.5e-3 AND metric.loss < .5 and metrics.x != 1.",
    "metrics.`my metric` > 1 and metrics.\"my metric\" < 2 and metrics.'my metric' = 3",
    "`metrics`.acc = 1 and metrics.x.y <= 2 and metrics.1a > 3 and metrics.été > 4",
    "params.lr = \"0.1\" and param.x != 'a' and parameter.y LIKE '%a' and parameters.z ILIKE 'B_'",
    "params.lr is null and params.x IS NOT NULL and tags.t IS NULL and tag.u is not null",
    "tags.mlflow.runName = 'x' and tags.\"mlflow.user\" = 'y' and tags.`a b` != 'z'",
    "tags.x = \"it's\" and tags.y = 'it''s' and tags.z = 'a\\'b' and tags.w = ''",
    "run_name = 'x' and status = 'FINISHED' and attributes.`Run name` LIKE 'x%'",
    "\"Run name\" = 'x' and `Run Name` ILIKE 'y' and attr.user_id = \"bob\"",
    "attr.run_id IN ('a', 'b') and run.run_id NOT IN (\"c\",) and attribute.run_id = 'd'",
    "attributes.start_time > 10 and created >= 1.5 and Created < -5 and end_time != 7",
    "attributes.artifact_uri LIKE '%s3%' and attributes.status ILIKE 'fin%'",
    "datasets.digest = 'abc' and datasets.name IN ('a','b') and dataset.context LIKE 'tr%'",
    "datasets.digest NOT IN ('a') and datasets.name != 'm' and datasets.context ILIKE 'T%'",
]
MLFLOW_REJECTED = [
    "metrics.acc = 'a'", "metrics.acc = \"1\"", "metrics.train-loss > 1", "metrics.acc > +1",
    "metrics.acc > 0x10", "metrics.acc > 1_000", "metrics.acc > nan", "metrics.acc <> 1",
    "metrics.acc == 1", "metrics.acc IS NULL", "metrics.acc LIKE '1'", "params.lr = 0.1",
    "params.lr = abc", "params.lr IN ('a')", "tags.x IN ('a')", "status IN ('a')",
    "attributes.status IS NULL", "attr.run_id IN ()", "attr.run_id IN (1, 2)",
    "attr.run_id IN 'a'", "attr.start_time > '10'", "attr.status = 1", "foo.x = 'a'",
    "METRICS.acc > 1", "metrics > 1", "attributes.RUN_ID = 'a'", "datasets.source = 'x'",
    "dataset.digest IS NULL", "datasets.digest = 1", "params.x = NULL", "params.x IS NOT 'a'",
    "params.x = 'unterminated", "metrics.acc > 1; metrics.b > 2", "metrics.acc > 1 abc",
    "metrics.acc", "params.x = 'a' 'b'", "attributes.start_time LIKE 10",
]  # fmt: skip


def from_mlflow(clause):
    from mlflow.utils.search_utils import SearchUtils

    entity = {"parameter": "param"}.get(clause["type"], clause["type"])
    key, value = clause["key"], clause["value"]
    if entity == "attribute":
        key = SearchUtils.translate_key_alias(key)
        key = {"run_name": "name"}.get(key, key)
    if entity == "metric":
        value = float(value)
    return Comparison(entity, key, clause["comparator"].upper(), value)


@pytest.mark.parametrize("text", MLFLOW_ACCEPTED)
def test_filters_mlflow_accepts_parse_to_the_same_comparisons(text):
    search_utils = pytest.importorskip("mlflow.utils.search_utils")
    expected = [from_mlflow(c) for c in search_utils.SearchUtils.parse_search_filter(text)]
    parsed = parse_filter(text)
    assert list(parsed.items if isinstance(parsed, And) else [parsed]) == expected


@pytest.mark.parametrize("text", MLFLOW_REJECTED)
def test_filters_mlflow_rejects_are_rejected(text):
    search_utils = pytest.importorskip("mlflow.utils.search_utils")
    with pytest.raises(search_utils.MlflowException):
        clauses = search_utils.SearchUtils.parse_search_filter(text)
        for clause in clauses:  # MLflow checks operators only when building SQL
            search_utils.SearchUtils.is_metric(clause["type"], clause["comparator"].upper())
            search_utils.SearchUtils.is_numeric_attribute(
                clause["type"], clause["key"], clause["comparator"].upper()
            )
    with pytest.raises(InvalidParameter):
        parse_filter(text)


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("metrics.acc DESC", OrderKey("metric", "acc", False)),
        ("metrics.acc desc", OrderKey("metric", "acc", False)),
        ("params.lr", OrderKey("param", "lr", True)),
        ("attributes.start_time ASC", OrderKey("attribute", "start_time", True)),
        ("run_name", OrderKey("attribute", "name", True)),
        ("created DESC", OrderKey("attribute", "start_time", False)),
        ("metrics.`my metric` DESC", OrderKey("metric", "my metric", False)),
        ('params."a b"', OrderKey("param", "a b", True)),
        ("tags.mlflow.runName", OrderKey("tag", "mlflow.runName", True)),
        ("  tags.team  ", OrderKey("tag", "team", True)),
    ],
)
def test_order_by_clauses_parse_to_keys(clause, expected):
    assert parse_order_by([clause]) == [expected]


def test_order_by_keeps_clause_order_and_accepts_none():
    assert parse_order_by(None) == []
    assert parse_order_by(["tags.t", "metrics.m DESC"]) == [
        OrderKey("tag", "t", True), OrderKey("metric", "m", False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("clauses", "fragment"),
    [
        (["metrics.acc DOWN"], "unexpected token 'DOWN' at position 12. Expected ASC, DESC"),
        (["metrics.acc DESC ASC"], "unexpected token 'ASC' at position 17. Expected the end"),
        (["metrics.acc, params.x"], "unexpected token ',' at position 11"),
        (["metrics.acc > 1"], "unexpected token '>' at position 12"),
        ([""], "unexpected end at position 0. Expected a column"),
        (["DESC"], "unexpected token 'DESC' at position 0. Expected a column"),
        (["datasets.name"], "cannot order by dataset field 'name' at position 0"),
        (["attributes.bogus"], "unknown attribute 'bogus' at position 0"),
        (["`Run name`"], "unknown attribute 'Run name'"),
        (["sizes.x"], "unknown entity 'sizes'"),
        (["metrics.acc", "metrics.acc DESC"], "'metrics.acc' is already in order_by"),
        (["start_time", "created DESC"], "'created' is already in order_by"),
        ([3], "expected a string"),
    ],
)
def test_invalid_order_by_raises_invalid_parameter_naming_the_token(clauses, fragment):
    with pytest.raises(InvalidParameter, match=re.escape(fragment)):
        parse_order_by(clauses)
