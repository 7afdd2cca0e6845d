"""``cairn reproduce --env-manager venv`` (the default): the re-run happens in a virtual environment
built from the run's recorded ``environment/requirements.txt``, cached by its hash.

The original run trains in a small environment of its own (scikit-learn, pandas and what Cairn
imports, pinned to this interpreter's versions), so its recorded requirements are a short list pip
installs from its cache or the package index in about a minute, not the test suite's whole venv.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement as Spec
from packaging.utils import canonicalize_name

from cairn.client.environments import build_environment, parse_requirement_lines

from .conftest import ONE_PASS, Project, make_project

pytestmark = [pytest.mark.slow, ONE_PASS]

# What the training script and an embedded store import, with their dependencies.
ROOTS = ("scikit-learn", "pandas", "pyyaml", "cloudpickle", "sqlalchemy", "alembic", "httpx", "orjson", "rich")


def pinned_closure(roots: tuple[str, ...]) -> list[str]:
    """``name==version`` for ``roots`` and everything they need, as installed here."""
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        key = canonicalize_name(name)
        if key in found:
            continue
        dist = importlib.metadata.distribution(name)
        found[key] = f"{dist.metadata['Name']}=={dist.version}"
        for line in dist.requires or []:
            spec = Spec(line)
            if spec.marker is None or spec.marker.evaluate({"extra": ""}):
                pending.append(spec.name)
    return sorted(found.values())


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Project, str]:
    """A project whose run trained in a small environment of its own; the run's id."""
    lines = parse_requirement_lines("\n".join(pinned_closure(ROOTS)))
    training_env = build_environment(lines, cache_dir=tmp_path / "training-envs")
    project = make_project(tmp_path / "repo", tmp_path / "store")
    project.python = str(training_env.python)
    return project, project.train(env=training_env.env(project.env()))


@pytest.mark.timeout(900)
def test_reproducing_in_a_venv_built_from_the_recorded_requirements_is_identical(
        tmp_path: Path, trained: tuple[Project, str]) -> None:
    project, run_id = trained
    env = project.env({"CAIRN_ENV_CACHE": str(tmp_path / "env-cache")})
    assert project.cairn_json("reproduce", run_id, "--dry-run", env=env)["environment"]["cached"] is False

    done = project.cairn("reproduce", run_id, "--json", env=env)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "identical", result["reasons"]
    environment = result["environment"]
    assert environment["env_manager"] == "venv" and environment["reused"] is False
    assert Path(environment["python"]).is_relative_to(tmp_path / "env-cache")
    installed = (Path(environment["path"]) / "requirements.txt").read_text().splitlines()
    assert sorted(installed) == pinned_closure(ROOTS)  # what the original's environment held
    assert "building" in done.stderr and "pip: Successfully installed" in done.stderr  # progress lines
    packages = result["diff"]["environment"]["packages"]
    assert packages["unchanged"] > 20
    assert not (packages["added"] or packages["removed"] or packages["upgraded"] or packages["changed"])
    # The next reproduce of the same requirements takes the cached environment.
    assert project.cairn_json("reproduce", run_id, "--dry-run", env=env)["environment"]["cached"] is True
