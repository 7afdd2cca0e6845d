"""``cairn reproduce`` in the current interpreter (``--env-manager local``): a run trained from a
dirty checkout with ``seed_everything(7)`` comes out identical; changed data and a lost commit are
refused before anything runs; unseeded randomness is reported as nondeterminism."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cairn
from cairn.client.client import Client
from cairn.client.reproduce import CodeStateRefused
from cairn.client.reproduce.code_state import rebuild_code
from cairn.client.reproduce.plan import plan_run

from .conftest import ONE_PASS, TRAINING_TEST_TIMEOUT_S, Project

pytestmark = [pytest.mark.timeout(TRAINING_TEST_TIMEOUT_S), ONE_PASS]


@pytest.fixture
def trained(project: Project) -> str:
    return project.train()


@pytest.fixture
def client(project: Project) -> Iterator[Client]:
    found = Client(str(project.store))
    yield found
    found.close()


def test_reproducing_the_production_version_gives_a_new_identical_run(project: Project, trained: str,
                                                                       client: Client) -> None:
    client.register_model(f"runs:/{trained}/model", "forest")
    client.transition_model_version_stage("forest", 1, "Production")

    result = project.cairn_json("reproduce", "models:/forest/Production", "--env-manager", "local")

    assert result["verdict"] == "identical", result["reasons"]
    assert result["reasons"] == []
    original, new = client.get_run(trained), client.get_run(result["run_id"])
    assert new.run_id != trained
    assert {k: m.value for k, m in new.data.metrics.items()} == {k: m.value for k, m in original.data.metrics.items()}
    assert new.data.tags["cairn.reproduces"] == trained
    assert new.info.experiment_id == original.info.experiment_id
    assert new.data.tags["mlflow.source.git.commit"] == original.data.tags["mlflow.source.git.commit"]
    assert new.data.tags["cairn.seed"] == "7"
    assert result["diff"]["code"]["patch_diff"] is None  # the uncommitted change was re-applied


def test_a_caller_with_capture_off_still_gets_a_fully_recorded_rerun(
        project: Project, trained: str, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_CAPTURE", "none")  # the caller's setting; the re-run must record all to compare

    result = cairn.reproduce(trained, env_manager="local", repo=project.root, client=client)

    assert result.verdict.verdict == "identical", result.verdict.reasons
    assert result.run.data.tags["mlflow.source.git.commit"] == client.get_run(trained).data.tags[
        "mlflow.source.git.commit"]


def test_a_changed_data_row_stops_the_reproduction_naming_the_dataset(project: Project, trained: str,
                                                                     client: Client) -> None:
    recorded = client.get_run(trained).inputs[0].dataset.digest
    lines = project.data.read_text().splitlines()
    lines[5] = lines[5].replace("0", "9", 1)
    project.data.write_text("\n".join(lines) + "\n")

    done = project.cairn("reproduce", trained, "--env-manager", "local")

    assert done.returncode == 1
    assert "dataset 'points'" in done.stderr and recorded in done.stderr
    assert "--allow-data-change" in done.stderr
    runs = client.search_runs([client.get_run(trained).info.experiment_id]).items
    assert [r.run_id for r in runs] == [trained]  # nothing ran


def test_a_deleted_commit_is_refused_with_what_is_missing(project: Project, trained: str) -> None:
    commit = project.git("rev-parse", "HEAD").strip()
    project.git("checkout", "--quiet", "--orphan", "rewritten")
    project.git("commit", "--quiet", "-m", "History rewritten")
    project.git("branch", "-D", "main")
    project.git("reflog", "expire", "--expire=now", "--all")
    project.git("gc", "--quiet", "--prune=now")

    done = project.cairn("reproduce", trained, "--env-manager", "local")

    assert done.returncode == 1
    assert f"Commit {commit}" in done.stderr
    assert "not in the repository" in done.stderr and "no remote" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_patch_that_does_not_apply_is_refused(project: Project, trained: str, client: Client) -> None:
    plan = plan_run(client.get_run(trained), lambda run_id, path: _artifact(client, run_id, path), "local")
    assert plan.patch is not None
    plan.patch = plan.patch.replace('FEATURES = ["x1", "x2"]', 'FEATURES = ["a", "b"]')

    with pytest.raises(CodeStateRefused, match="does not apply on commit"):
        rebuild_code(plan, project.root)
    assert project.git("worktree", "list").count("\n") == 1  # the half-made checkout is gone


def test_dry_run_prints_the_plan_and_runs_nothing(project: Project, trained: str, client: Client) -> None:
    plan = project.cairn_json("reproduce", trained, "--dry-run")

    assert plan["code"]["commit"] == project.git("rev-parse", "HEAD").strip()
    assert plan["code"]["patch_bytes"] > 0
    assert any(line.startswith("scikit-learn==") for line in plan["environment"]["packages"])
    assert plan["datasets"][0]["name"] == "points" and plan["data_checks"][0]["status"] == "same"
    assert plan["command"] == "python train.py" and plan["seed"] == "7"
    assert plan["problems"] == []
    assert len(client.search_runs([client.get_run(trained).info.experiment_id]).items) == 1


def test_unseeded_randomness_is_reported_as_nondeterministic_training(project: Project, client: Client) -> None:
    script = project.root / "train.py"
    script.write_text("import os\n" + script.read_text().replace(
        "int(np.random.randint(0, 2**31 - 1))", "int.from_bytes(os.urandom(4), 'little') % 2**31"))
    trained = project.train()

    result = cairn.reproduce(trained, env_manager="local", repo=project.root, client=client)

    assert result.verdict.verdict == "different"
    assert result.run.data.tags["cairn.reproduces"] == trained  # the SDK hands back the new run
    assert result.run.data.tags["cairn.reproduction.verdict"] == "different"
    kinds = [r["kind"] for r in result.verdict.reasons]
    assert "nondeterminism" in kinds and not {"code", "data", "environment", "seeds", "params"} & set(kinds)
    message = next(r["message"] for r in result.verdict.reasons if r["kind"] == "nondeterminism")
    assert "nondeterministic" in message
    seeded = message.split("seeded: ", 1)[1].rstrip(".").split(", ")  # torch too, where it is installed
    assert {"random", "numpy", "pythonhashseed"} <= set(seeded)


def _artifact(client: Client, run_id: str, path: str) -> str | None:
    local = client.download_artifacts(run_id, path)
    return Path(local).read_text()
