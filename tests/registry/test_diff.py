"""``diff_runs`` on real runs made in a temporary git repository: two commits, a dirty change,
different data, seeds and packages."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri
from cairn.client.capture import CaptureOptions
from cairn.registry.diff import compare_requirements, version_key
from tests import backends

REQUIREMENTS = "environment/requirements.txt"


GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def training_frame(seed: int, rows: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(50 + shift, 10, size=rows), "age": rng.integers(18, 80, size=rows)})


def train(params: dict[str, object], losses: list[float], data: pd.DataFrame, seed: int) -> str:
    with cairn.start_run(capture=CaptureOptions(system=True, command=False)) as run:
        cairn.seed_everything(seed)
        cairn.log_params(params)
        for step, loss in enumerate(losses):
            cairn.log_metric("loss", loss, step=step)
        cairn.log_metric("auc", 0.8 + seed / 100)
        cairn.log_dataset(data, "customers", context="training")
        return run.info.run_id


def hermetic_git(mp: pytest.MonkeyPatch, root: Path) -> None:
    # The developer's git config must not leak in, and no repository above ``root`` may be found.
    for name, value in {**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(root)}.items():
        mp.setenv(name, value)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        mp.delenv(name, raising=False)


def init_repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    (root / "train.py").write_text("lr = 0.1\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first model")
    return root


def make_runs(repo: Path) -> tuple[str, str, dict[str, str]]:
    """Run A on the first commit (clean); run B on a second commit plus an uncommitted change,
    on more and shifted data, with another seed and (rewritten) packages."""
    first = git(repo, "rev-parse", "HEAD")
    run_a = train({"lr": 0.1, "depth": 3, "optimizer": "adam"}, [0.9, 0.5, 0.4], training_frame(1, 1000), seed=1)
    (repo / "train.py").write_text("lr = 0.05\n")
    git(repo, "commit", "-q", "-am", "lower the learning rate")
    second = git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("lr = 0.05\n# try dropout\n")
    data_b = training_frame(2, 1100, shift=8.0).assign(region="north")
    run_b = train({"lr": 0.05, "depth": 3, "dropout": 0.2}, [0.8, 0.3], data_b, seed=2)
    client = cairn.Client()
    pins = client.download_artifacts(run_a, REQUIREMENTS).read_text()
    changed = pins.replace("numpy==", "numpy==9999.").replace("pandas==", "pandas==0.0.") + "zz-new-pkg==1.0\n"
    changed = "".join(line + "\n" for line in changed.splitlines() if not line.startswith("pytest=="))
    client.log_text(run_b, changed, REQUIREMENTS)
    return run_a, run_b, {"first": first, "second": second}


@dataclass
class Project:
    repo: Path
    a: str
    b: str
    commits: dict[str, str]
    uri: str


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Two runs made once for the module on an embedded store; tests only read them."""
    tmp = tmp_path_factory.mktemp("diff")
    with pytest.MonkeyPatch.context() as mp:
        hermetic_git(mp, tmp)
        mp.setenv("CAIRN_CAPTURE", "none")
        repo = init_repo(tmp / "project")
        mp.chdir(repo)
        with backends.embedded_store(tmp / "store") as uri:
            fluent.set_tracking_uri(uri)
            try:
                a, b, commits = make_runs(repo)
                client = cairn.Client()
                for run_id in (a, b):
                    client.log_text(run_id, "weights", "model/model.pkl")
                    client.register_model(f"runs:/{run_id}/model", "churn")
                yield Project(repo, a, b, commits, uri)
            finally:
                fluent.set_tracking_uri(None)
                tracking_uri.close_all()


@pytest.fixture
def runs(project: Project, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, dict[str, str]]:
    fluent.set_tracking_uri(project.uri)
    monkeypatch.chdir(project.repo)
    return project.a, project.b, project.commits


@pytest.fixture
def repo(project: Project) -> Path:
    return project.repo


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    with backends.embedded_store(folder) as uri:
        fluent.set_tracking_uri(uri)
        yield folder
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()


def test_params_added_removed_and_changed(runs) -> None:
    a, b, _ = runs
    params = cairn.Client().diff_runs(a, b).params
    assert params == {"added": {"dropout": "0.2"}, "removed": {"optimizer": "adam"},
                      "changed": {"lr": {"a": "0.1", "b": "0.05"}}, "unchanged": 1}


def test_metrics_show_final_values_deltas_and_curves(runs) -> None:
    a, b, _ = runs
    rows = {r["key"]: r for r in cairn.Client().diff_runs(a, b).metrics["metrics"]}
    loss = rows["loss"]
    assert (loss["a"], loss["b"]) == (0.4, 0.3)
    assert loss["delta"] == pytest.approx(-0.1) and loss["relative"] == pytest.approx(-0.25)
    assert loss["curve_a"] == {"points": 3, "first_step": 0, "last_step": 2, "first": 0.9, "last": 0.4,
                               "min": 0.4, "min_step": 2, "max": 0.9, "max_step": 0}
    assert loss["curve_b"]["points"] == 2 and rows["auc"]["delta"] == pytest.approx(0.01)


def test_code_shows_commits_dirty_flags_patch_diff_and_git_log(runs, repo) -> None:
    a, b, commits = runs
    code = cairn.Client().diff_runs(a, b, repo=repo).code
    assert (code["a"]["commit"], code["b"]["commit"]) == (commits["first"], commits["second"])
    assert (code["a"]["dirty"], code["b"]["dirty"]) == (False, True)
    assert (code["a"]["has_patch"], code["b"]["has_patch"], code["same_commit"]) == (False, True, False)
    assert "++# try dropout" in code["patch_diff"].splitlines()
    assert code["git_log"] == [f"{git(repo, 'rev-parse', '--short', commits['second'])} lower the learning rate"]


def test_git_log_is_skipped_with_a_note_outside_the_repository(runs, tmp_path) -> None:
    a, b, _ = runs
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cairn.Client().diff_runs(a, b, repo=elsewhere)
    assert result.code["git_log"] is None
    assert any(note.startswith("git log skipped") for note in result.notes)


def test_data_shows_digest_rows_schema_and_the_feature_that_moved(runs) -> None:
    a, b, _ = runs
    [data] = cairn.Client().diff_runs(a, b).data
    assert (data["context"], data["name_a"], data["name_b"], data["same_digest"]) == (
        "training", "customers", "customers", False)
    assert (data["rows_a"], data["rows_b"], data["row_change"]) == (1000, 1100, 100)
    assert data["schema"] == {"changed": True, "added": ["region"], "removed": [], "type_changed": []}
    assert data["moved_features"][0]["feature"] == "income"
    assert data["moved_features"][0]["severity"] == "high"
    assert {m["feature"]: m["severity"] for m in data["moved_features"]}["age"] == "none"


def test_environment_and_seeds_sections(runs) -> None:
    a, b, _ = runs
    result = cairn.Client().diff_runs(a, b)
    packages = result.environment["packages"]
    assert "numpy" in packages["upgraded"] and packages["upgraded"]["numpy"]["b"].startswith("9999.")
    assert "pandas" in packages["downgraded"]
    assert list(packages["removed"]) == ["pytest"] and packages["added"] == {"zz-new-pkg": "1.0"}
    system = result.environment["system"]
    assert system["cairn.python.version"]["same"] and "cairn.os" in system
    assert result.seeds["cairn.seed"] == {"a": "1", "b": "2", "same": False}


def test_a_run_compared_with_itself_shows_no_change(runs) -> None:
    a, _, _ = runs
    result = cairn.Client().diff_runs(a, a)
    assert result.params["changed"] == {} and result.params["unchanged"] == 3
    assert result.data[0]["same_digest"] and result.code["patch_diff"] is None
    assert result.environment["packages"]["upgraded"] == {} and result.code["same_commit"]


def test_model_versions_are_compared_through_their_source_runs(runs) -> None:
    a, b, _ = runs
    result = cairn.Client().diff_runs("models:/churn/1", "models:/churn/2")
    assert (result.runs["a"]["run_id"], result.runs["b"]["run_id"]) == (a, b)


@pytest.mark.parametrize("store_dir", ["server"], indirect=True)
def test_diff_works_the_same_against_a_server(store_dir, tmp_path, monkeypatch) -> None:
    hermetic_git(monkeypatch, tmp_path)
    repo = init_repo(tmp_path / "project")
    monkeypatch.chdir(repo)
    a, b, commits = make_runs(repo)
    result = cairn.Client().diff_runs(a, b, repo=repo)
    assert result.params["changed"] == {"lr": {"a": "0.1", "b": "0.05"}}
    assert (result.code["b"]["commit"], result.code["b"]["dirty"]) == (commits["second"], True)
    assert result.data[0]["row_change"] == 100 and "numpy" in result.environment["packages"]["upgraded"]


def test_diff_of_runs_with_many_params_and_packages_is_complete(store) -> None:
    client = cairn.Client()
    ids = []
    for version in (1, 2):
        run = client.create_run("0")
        client.log_params(run.run_id, {f"p{i:04d}": i * version for i in range(1000)})
        client.log_text(run.run_id, "".join(f"pkg{i}=={version}.{i % 7}.0\n" for i in range(10_000)), REQUIREMENTS)
        client.log_metric(run.run_id, "loss", 1.0 / version, synchronous=True)
        ids.append(run.run_id)
    result = client.diff_runs(*ids)
    assert len(result.params["changed"]) == 999 and len(result.environment["packages"]["upgraded"]) == 10_000


def test_requirements_comparison_orders_versions_like_pep_440() -> None:
    before = "Alpha==1.0\nbeta==2.0rc1\ngamma==1.10\ndelta==1.0.post1\nsame==3\nodd==abc\n"
    after = "alpha==1.0.1\nbeta==2.0\ngamma==1.9\ndelta==1.0\nsame==3.0\nodd==xyz\nnew==1\n"
    result = compare_requirements(before, after)
    assert result["upgraded"] == {"alpha": {"a": "1.0", "b": "1.0.1"}, "beta": {"a": "2.0rc1", "b": "2.0"}}
    assert result["downgraded"] == {"gamma": {"a": "1.10", "b": "1.9"}, "delta": {"a": "1.0.post1", "b": "1.0"}}
    assert result["changed"] == {"same": {"a": "3", "b": "3.0"}, "odd": {"a": "abc", "b": "xyz"}}
    assert result["added"] == {"new": "1"}
    assert version_key("1.0.dev1") < version_key("1.0a1") < version_key("1.0") < version_key("1.0.post1")
