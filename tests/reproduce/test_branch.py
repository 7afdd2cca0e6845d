"""``cairn runs branch``: the same code state, environment and data with one parameter changed."""

from __future__ import annotations

import pytest

from .conftest import ONE_PASS, TRAINING_TEST_TIMEOUT_S, Project

pytestmark = [pytest.mark.timeout(TRAINING_TEST_TIMEOUT_S), ONE_PASS]


def test_a_branch_with_a_changed_param_differs_from_the_original_in_exactly_that_param(project: Project) -> None:
    trained = project.train()

    branched = project.cairn_json("runs", "branch", trained, "--param", "n_estimators=3", "--name", "fewer-trees",
                                  "--env-manager", "local")

    diff = project.cairn_json("diff", trained, branched["run_id"])
    assert diff["params"]["changed"] == {"n_estimators": {"a": "8", "b": "3"}}
    assert diff["params"]["added"] == {} and diff["params"]["removed"] == {}
    assert diff["runs"]["b"]["run_name"] == "fewer-trees"
    assert all(r["kind"] != "params" for r in branched["reasons"])
    lineage = project.cairn_json("lineage", branched["run_id"])
    assert {"source": f"run:{trained}", "target": f"run:{branched['run_id']}", "relation": "branched",
            "attributes": {}} in lineage["edges"]


def test_a_param_not_on_the_command_line_is_refused_naming_the_options(project: Project) -> None:
    trained = project.train("--max-depth", "4")

    done = project.cairn("runs", "branch", trained, "--param", "criterion=entropy", "--env-manager", "local")

    assert done.returncode == 1
    assert "Parameter 'criterion' is not on the recorded command line" in done.stderr
    assert "--max-depth" in done.stderr
