"""A real project to reproduce: a git repository in a temp folder with a small scikit-learn training
script (committed), an uncommitted change to it, a data file git ignores, and an embedded store;
``train`` runs the script the way a user would (its own process), ``cairn`` runs the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TRAIN_SCRIPT = '''\
import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

import cairn
from features import FEATURES

parser = argparse.ArgumentParser()
parser.add_argument("--n-estimators", type=int, default=8)
parser.add_argument("--max-depth", type=int, default=3)
args = parser.parse_args()

cairn.set_experiment("reproduce-me")
with cairn.start_run(run_name="forest"):
    cairn.seed_everything(7)
    data = pd.read_csv("data/train.csv")
    cairn.log_dataset("data/train.csv", name="points", context="training")
    cairn.log_params({"n_estimators": args.n_estimators, "max_depth": args.max_depth})
    # The forest draws its own seed from NumPy's global generator: only seed_everything fixes it.
    model = RandomForestClassifier(n_estimators=args.n_estimators, max_depth=args.max_depth,
                                   random_state=int(np.random.randint(0, 2**31 - 1)))
    model.fit(data[FEATURES], data["label"])
    cairn.log_metric("accuracy", model.score(data[FEATURES], data["label"]))
    cairn.log_metric("mean_proba", float(model.predict_proba(data[FEATURES])[:, 1].mean()))
    cairn.log_model(model, "model")
'''
# A test here trains two or three times, each a fresh interpreter importing scikit-learn, and runs
# the CLI several more: seconds on a quiet machine, minutes on a busy one, past pytest's default
# limit. The modules that train take this one (a limit only, so the passing case is no slower).
TRAINING_TEST_TIMEOUT_S = 900
FEATURES_COMMITTED = 'FEATURES = ["x1", "x2"]\n'
FEATURES_UNCOMMITTED = 'FEATURES = ["x1", "x2", "x3"]  # x3 helps; not committed yet\n'


def data_rows(count: int = 60) -> str:
    lines = ["x1,x2,x3,label"]
    for i in range(count):
        x1, x2, x3 = (i * 37 % 11) / 10, (i * 53 % 7) / 7, (i * 29 % 13) / 13
        lines.append(f"{x1:.3f},{x2:.3f},{x3:.3f},{int(x1 + x3 > 1.0)}")
    return "\n".join(lines) + "\n"


# Whatever CAIRN_TEST_STORE says, a project here logs to a folder store (SQLite) of its own:
# these tests run in make test only (``store_independent``).
ONE_PASS = pytest.mark.store_independent(
    reason="the projects it trains and reproduces log to a folder store (SQLite) of their own")


@dataclass
class Project:
    root: Path
    store: Path
    python: str = sys.executable

    @property
    def data(self) -> Path:
        return self.root / "data" / "train.csv"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {**os.environ, "CAIRN_TRACKING_URI": str(self.store), "NO_COLOR": "1", "COLUMNS": "160"}
        for name in ("CAIRN_EXPERIMENT_NAME", "CAIRN_RUN_ID", "CAIRN_SEED", "CAIRN_CAPTURE"):
            env.pop(name, None)
        env.update(extra or {})
        return env

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def train(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run train.py in its own process; the id of the run it logged."""
        done = subprocess.run([self.python, "train.py", *args], cwd=self.root, env=env or self.env(), check=False,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return self.latest_run_id()

    def latest_run_id(self) -> str:
        listed = self.cairn("runs", "list", "--experiment", "reproduce-me", "--json")
        assert listed.returncode == 0, listed.stderr
        return str(json.loads(listed.stdout)["runs"][0]["run_id"])

    def cairn(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cairn.cli", *args], cwd=self.root, env=env or self.env(), check=False,
                              capture_output=True, text=True, timeout=900)

    def cairn_json(self, *args: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        done = self.cairn(*args, "--json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]


def make_project(root: Path, store: Path) -> Project:
    root.mkdir(parents=True)
    project = Project(root, store)
    project.git("init", "--quiet", "--initial-branch=main")
    project.git("config", "user.email", "dev@example.com")
    project.git("config", "user.name", "Dev")
    (root / "train.py").write_text(TRAIN_SCRIPT)
    (root / "features.py").write_text(FEATURES_COMMITTED)
    (root / ".gitignore").write_text("data/\n")
    (root / "data").mkdir()
    project.data.write_text(data_rows())
    project.git("add", "train.py", "features.py", ".gitignore")
    project.git("commit", "--quiet", "-m", "A forest on two features")
    (root / "features.py").write_text(FEATURES_UNCOMMITTED)
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "repo", tmp_path / "store")
