"""Reading scoring requests: the fast numeric path builds exactly the frame pandas would."""

from __future__ import annotations

import pandas as pd
import pytest

from cairn.serving.scoring import parse_scoring_request, payload_rows

pytestmark = pytest.mark.store_independent(reason="parsing scoring requests into frames; no store")

CASES = [
    ([[1.5, 2], [2.0, 3]], ["a", "b"]),  # a float and an int column
    ([[1.0, 2.0, 3.0]], ["x", "y", "z"]),
    ([[1.5, 2, "x"]], ["a", "b", "c"]),  # text: pandas' own path
    ([[1, True]], ["a", "b"]),  # booleans are not ints here
    ([[2**70, 1.0]], ["a", "b"]),  # beyond int64
    ([[1.0, None]], ["a", "b"]),  # a missing value
    ([[1.0, 2.0]], ["a", "a"]),  # a repeated name
]


@pytest.mark.parametrize(("data", "columns"), CASES)
def test_dataframe_split_gives_the_frame_pandas_builds(data: list[list[object]], columns: list[str]) -> None:
    frame = parse_scoring_request({"dataframe_split": {"columns": columns, "data": data}})
    expected = pd.DataFrame(data, columns=columns)
    assert frame.dtypes.tolist() == expected.dtypes.tolist()
    assert frame.equals(expected)


def test_payload_rows_name_each_value_by_its_column() -> None:
    payload = {"dataframe_split": {"columns": ["age", "visits"], "data": [[30.0, 1]]}}
    assert payload_rows(payload) == [{"age": 30.0, "visits": 1}]
    assert payload_rows({"inputs": {"age": [30.0, 40.0]}}) == [{"age": 30.0}, {"age": 40.0}]
    assert payload_rows({"instances": [[1, 2]]}) == [[1, 2]]
