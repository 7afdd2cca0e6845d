"""``cairn serve --env-manager``: ``local`` refuses a version whose recorded requirements this
environment does not meet, naming them and the pip command; ``venv`` runs each version in a worker
inside an environment built from its own requirements, so two versions pinned to different
scikit-learn releases serve side by side as primary and canary."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri
from cairn.client.environments import build_environment, parse_requirement_lines
from cairn.serving.environments import _cairn_requirements
from tests.mlflow_models import SKLEARN_REQUIREMENTS

FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})
LABELS = [0, 1, 0, 1]
ROWS = {"dataframe_split": {"columns": ["age", "visits"], "data": [[30.0, 2], [50.0, 8]]}}
OLD_SKLEARN = "1.6.1"
STARTUP_TIMEOUT_S = 600
# The tests on the ``store`` fixture below log to a folder store whatever CAIRN_TEST_STORE says.
FOLDER_STORE = pytest.mark.store_independent(
    reason="the model is logged to, and served from, a folder store (SQLite) of the test's own")
# The two tests that build virtual environments take minutes of CPU (pip, and first imports with
# no bytecode yet); being store-independent they run once, in the PostgreSQL pass, which keeps
# make test within its ten minutes.
VENV_BUILDING = pytest.mark.store_independent(
    runs_in="postgresql",
    reason="builds virtual environments for a model logged to, and served from, stores of the test's own (SQLite)")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    fluent.set_tracking_uri(folder)
    yield folder
    fluent.set_tracking_uri(None)
    tracking_uri.close_all()


def log_churn_model(requirements: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(FEATURES, LABELS)
    with cairn.start_run():
        cairn.log_model(model, "model", input_example=FEATURES, pip_requirements=requirements,
                        registered_model_name="churn")


def serve(store: Path, *options: str, env: Mapping[str, str] | None = None, python: str = sys.executable,
          tracking: str | None = None) -> tuple[subprocess.Popen[bytes], str, Path]:
    store.parent.mkdir(parents=True, exist_ok=True)
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log_path = store.parent / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([python, "-m", "cairn.cli", "serve", "churn", "--port", str(port), *options],
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env={**(env or os.environ), "CAIRN_TRACKING_URI": tracking or str(store)})
    return process, f"http://127.0.0.1:{port}", log_path


def wait_until_serving(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            if httpx.get(url + "/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)  # polling for readiness, not ordering test steps


@FOLDER_STORE
def test_local_refuses_a_version_whose_requirements_are_not_met_with_the_pip_command(store: Path) -> None:
    log_churn_model([f"scikit-learn=={OLD_SKLEARN}", "cloudpickle", "surely-not-installed-here==1.0"])
    cairn.Client().promote("churn", 1, "Production")

    process, _, log_path = serve(store)
    assert process.wait(timeout=120) == 1

    printed = log_path.read_text()
    installed = __import__("sklearn").__version__
    assert f"Error: Model churn v1 needs packages this environment does not have: scikit-learn=={OLD_SKLEARN} " \
           f"(installed: {installed}), surely-not-installed-here==1.0 (missing)." in printed
    assert f"pip install scikit-learn=={OLD_SKLEARN} surely-not-installed-here==1.0" in printed
    assert "Traceback" not in printed


@pytest.mark.slow
@pytest.mark.timeout(1200)
@VENV_BUILDING
def test_venv_serves_two_versions_pinned_to_different_sklearn_releases_side_by_side(
        store: Path, tmp_path: Path) -> None:
    # Version 1 is trained where scikit-learn is the old release: its package pins that release.
    trainer = build_environment(parse_requirement_lines(
        f"scikit-learn=={OLD_SKLEARN}\npandas\npyyaml\ncloudpickle\nsqlalchemy\nalembic\nhttpx\norjson\nrich\n"),
        cache_dir=tmp_path / "trainer-env", exact=False)
    script = tmp_path / "train_old.py"
    script.write_text(
        "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\nimport cairn\n"
        f"X = pd.DataFrame({FEATURES.to_dict(orient='list')!r})\n"
        f"model = LogisticRegression().fit(X, {LABELS!r})\n"
        "with cairn.start_run():\n"
        "    cairn.log_model(model, 'model', input_example=X, registered_model_name='churn')\n")
    done = subprocess.run([str(trainer.python), str(script)], capture_output=True, text=True, timeout=600, check=False,
                          env=trainer.env({**os.environ, "CAIRN_TRACKING_URI": str(store), "CAIRN_CAPTURE": "none"}))
    assert done.returncode == 0, done.stderr
    log_churn_model()  # version 2: this interpreter's scikit-learn
    client = cairn.Client()
    client.promote("churn", 1, "Production")
    client.set_deployment("churn", canary_version=2, canary_percent=50, reason="the new release")
    cache = tmp_path / "env-cache"

    refused, _, refused_log = serve(store)
    assert refused.wait(timeout=120) == 1 and f"scikit-learn=={OLD_SKLEARN}" in refused_log.read_text()

    process, url, log_path = serve(store, "--env-manager", "venv", env={**os.environ, "CAIRN_ENV_CACHE": str(cache)})
    try:
        wait_until_serving(process, url, log_path)
        answered = {}
        for _ in range(60):
            response = httpx.post(url + "/invocations", json=ROWS, timeout=30)
            assert response.status_code == 200, response.text
            answered[response.json()["model_version"]] = response.json()["predictions"]
            if len(answered) == 2:
                break
        assert set(answered) == {"1", "2"}
        assert answered["1"] == answered["2"] == [0, 1]
    finally:
        process.terminate()
        process.wait(timeout=30)
    pins = sorted(line for folder in cache.iterdir() if (folder / "requirements.txt").is_file()
                  for line in (folder / "requirements.txt").read_text().splitlines() if line.startswith("scikit-learn"))
    assert pins == [f"scikit-learn=={OLD_SKLEARN}", f"scikit-learn=={__import__('sklearn').__version__}"]
    assert "Traceback" not in log_path.read_text()


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning")
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")
@VENV_BUILDING
def test_a_model_the_mlflow_client_logged_serves_in_a_venv_from_an_environment_without_scikit_learn(
        tmp_path: Path, server_factory: Callable[..., Any]) -> None:
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LogisticRegression

    server = server_factory(store=(f"sqlite:///{tmp_path / 'server-store' / 'cairn.db'}", tmp_path / "server-artifacts"))
    model = LogisticRegression().fit(FEATURES, LABELS)
    mlflow.set_tracking_uri(server.url)
    try:
        mlflow.set_experiment(f"serve-venv-{uuid.uuid4().hex[:6]}")
        # The default serialization: skops. The requirements are given rather than inferred: mlflow's
        # inference lists whatever its probe process imported (torch, here), and installing that
        # would be most of this test's time without testing anything of Cairn's.
        with mlflow.start_run():
            mlflow.sklearn.log_model(model, name="model", registered_model_name="churn",
                                     pip_requirements=SKLEARN_REQUIREMENTS,
                                     signature=infer_signature(FEATURES, model.predict(FEATURES)))
        MlflowClient(server.url).transition_model_version_stage("churn", "1", "Production")
    finally:
        mlflow.set_tracking_uri(None)
    # Cairn and what it needs, but neither scikit-learn nor skops nor mlflow.
    wanted = [*_cairn_requirements(), "pandas", "numpy", "pyyaml"]
    plain = build_environment(parse_requirement_lines("\n".join(_pinned(spec) for spec in wanted)),
                              cache_dir=tmp_path / "plain-env", exact=False)
    check = subprocess.run([str(plain.python), "-c", "import sklearn"], capture_output=True, env=plain.env(),
                           check=False)
    assert check.returncode != 0
    env = plain.env({**os.environ, "CAIRN_ENV_CACHE": str(tmp_path / "env-cache")})

    refused, _, refused_log = serve(tmp_path / "unused", env=env, python=str(plain.python), tracking=server.url)
    assert refused.wait(timeout=120) == 1
    refusal = refused_log.read_text()
    assert "Model churn v1 needs packages this environment does not have" in refusal
    assert "scikit-learn==" in refusal and "skops==" in refusal and "Install them with: pip install " in refusal

    process, url, log_path = serve(tmp_path / "unused", "--env-manager", "venv", env=env, python=str(plain.python),
                                   tracking=server.url)
    try:
        wait_until_serving(process, url, log_path)
        response = httpx.post(url + "/invocations", json=ROWS, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == model.predict(pd.DataFrame(
            ROWS["dataframe_split"]["data"], columns=ROWS["dataframe_split"]["columns"])).tolist()
        bad = httpx.post(url + "/invocations", json={"instances": [{"age": 30.0}]}, timeout=30)
        assert bad.status_code == 400 and "visits" in bad.json()["message"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log_path.read_text()


def _pinned(spec: str) -> str:
    name = spec.split("[", 1)[0]
    return f"{spec}=={importlib.metadata.version(name)}"
