"""Input checked against the signature: every offending column named with what was expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidParameter
from cairn.models import enforce_schema, infer_signature

pytestmark = pytest.mark.store_independent(reason="schema enforcement on in-memory frames; no store")

SCHEMA = infer_signature(pd.DataFrame({"age": [1.0], "visits": [2], "plan": ["gold"]})).inputs
TENSOR = infer_signature(np.zeros((2, 3), dtype="float64")).inputs


def test_missing_column_is_refused_naming_it_and_its_type() -> None:
    with pytest.raises(InvalidParameter, match=r"missing column 'visits' \(expected long\)"):
        enforce_schema(SCHEMA, pd.DataFrame({"age": [1.0], "plan": ["a"]}))


def test_extra_column_is_refused_by_default_naming_it() -> None:
    with pytest.raises(InvalidParameter, match="extra column 'zip'"):
        enforce_schema(SCHEMA, pd.DataFrame({"age": [1.0], "visits": [2], "plan": ["a"], "zip": [9]}))


def test_extra_column_is_dropped_when_configured() -> None:
    frame = pd.DataFrame({"zip": [9], "plan": ["a"], "visits": [2], "age": [1.0]})
    assert list(enforce_schema(SCHEMA, frame, extra_columns="drop").columns) == ["age", "visits", "plan"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidParameter) as caught:
        enforce_schema(SCHEMA, pd.DataFrame({"age": ["old"], "visits": [2.5], "zip": [1]}))
    message = caught.value.message
    for part in ("missing column 'plan'", "extra column 'zip'", "column 'age' has str values, expected double",
                 "column 'visits' has dtype float64, expected long"):
        assert part in message


def test_int_column_is_accepted_for_a_double_column() -> None:
    cast = enforce_schema(SCHEMA, pd.DataFrame({"age": [30], "visits": [2], "plan": ["a"]}))
    assert cast["age"].dtype == np.float64 and cast["age"].tolist() == [30.0]


def test_int32_is_upcast_to_long() -> None:
    frame = pd.DataFrame({"age": [1.0], "visits": np.array([2], dtype="int32"), "plan": ["a"]})
    assert enforce_schema(SCHEMA, frame)["visits"].dtype == np.int64


def test_positional_rows_of_the_wrong_width_are_refused_naming_the_columns() -> None:
    with pytest.raises(InvalidParameter, match="expected rows of 3 values for columns age, visits, plan"):
        enforce_schema(SCHEMA, np.array([[1.0, 2.0]]))


def test_tensor_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"shape \(2, 4\), expected \(any, 3\)"):
        enforce_schema(TENSOR, np.zeros((2, 4)))


def test_tensor_of_ints_is_cast_to_float() -> None:
    assert enforce_schema(TENSOR, [[1, 2, 3]]).dtype == np.float64


def test_tensor_of_strings_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="dtype <U1, expected float64"):
        enforce_schema(TENSOR, [["a", "b", "c"]])


def test_missing_values_in_an_integer_column_are_explained() -> None:
    with pytest.raises(InvalidParameter, match="column 'visits'.*missing values"):
        enforce_schema(SCHEMA, pd.DataFrame({"age": [1.0, 2.0], "visits": [2, None], "plan": ["a", "b"]}))


def test_a_column_named_twice_is_refused() -> None:
    frame = pd.DataFrame([[1.0, 2, 3, "a"]], columns=["age", "visits", "visits", "plan"])
    with pytest.raises(InvalidParameter, match="more than once: 'visits'"):
        enforce_schema(SCHEMA, frame)


def test_input_already_of_the_signatures_types_is_only_put_in_signature_order() -> None:
    numeric = infer_signature(pd.DataFrame({"age": [1.0], "visits": [2]})).inputs
    shuffled = pd.DataFrame({"visits": [2, 3], "age": [30.5, 40.0]})
    checked = enforce_schema(numeric, shuffled)
    assert list(checked.columns) == ["age", "visits"] and checked["age"].tolist() == [30.5, 40.0]
    in_order = pd.DataFrame({"age": [30.5], "visits": [2]})
    assert enforce_schema(numeric, in_order) is in_order  # nothing to cast, nothing copied
    with pytest.raises(InvalidParameter, match="column 'visits' has dtype float64, expected long"):
        enforce_schema(numeric, pd.DataFrame({"age": [30.5], "visits": [2.5]}))
