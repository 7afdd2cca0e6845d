"""Which runs a comparison takes: 2 to 20 distinct ids, with blanks and repeats dropped."""

from __future__ import annotations

import pytest

from cairn.errors import InvalidParameter
from cairn.ui.compare_view import MAX_COMPARED_RUNS, compared_run_ids


def test_repeats_and_blanks_are_dropped_keeping_the_order():
    assert compared_run_ids(["b", " a ", "", "b", "c"]) == ["b", "a", "c"]


@pytest.mark.parametrize("values, message", [
    ([], "at least 2 runs to compare, got 0"),
    (["a", "a", " "], "at least 2 runs to compare, got 1"),
    ([f"{i:032x}" for i in range(MAX_COMPARED_RUNS + 1)], f"At most {MAX_COMPARED_RUNS} runs"),
])  # fmt: skip
def test_too_few_or_too_many_runs_are_refused_with_invalid_parameter(values, message):
    with pytest.raises(InvalidParameter, match=message) as caught:
        compared_run_ids(values)
    assert caught.value.http_status == 400


def test_twenty_runs_are_allowed():
    assert len(compared_run_ids([f"{i:032x}" for i in range(MAX_COMPARED_RUNS)])) == MAX_COMPARED_RUNS
