"""``cairn reproduce`` in the current interpreter (``--env-manager local``): a run trained from a
dirty checkout with a seed comes out identical; changed data, a lost commit are refused."""

from __future__ import annotations

import pytest

from .conftest import Project


@pytest.fixture
def trained(project: Project) -> str:
    return project.train()


def test_reproducing_a_run_gives_identical_metrics_and_says_identical(project: Project, trained: str) -> None:
    result = project.cairn_json("reproduce", trained, "--env-manager", "local")

    assert result["verdict"] == "identical", result["reasons"]
    new = project.cairn_json("runs", "show", result["run_id"])
    original = project.cairn_json("runs", "show", trained)
    print(new.keys())
    assert result["reasons"] == []
