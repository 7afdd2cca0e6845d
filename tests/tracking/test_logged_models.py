"""Logged models ordered by an attribute some of them lack: those sort last, in either direction,
on every store (SQLite and PostgreSQL put NULLs at opposite ends by default)."""

from __future__ import annotations

import pytest

from cairn.tracking import logged_models


@pytest.mark.parametrize("ascending", [True, False], ids=["ascending", "descending"])
def test_models_without_the_ordering_attribute_sort_last_either_way(db, ascending):
    for name, model_type in (("b", "sklearn"), ("none", None), ("a", "agent")):
        logged_models.create_logged_model(db, "0", name, model_type=model_type)
    found = logged_models.search_logged_models(db, ["0"], order_by=[("model_type", ascending)]).items
    names = [m.name for m in found]
    assert names == (["a", "b", "none"] if ascending else ["b", "a", "none"])
