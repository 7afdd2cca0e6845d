"""pytest plugin: run MLflow's own server-facing test modules against a real server process.

Loaded by ``run_mlflow_tests.py`` with ``-p mlflow_suite_plugin``. MLflow's modules start the
MLflow app in a thread of the test process; this plugin swaps their server fixtures, before pytest
reads them, for fixtures that start a real subprocess per test with a fresh store:

- ``CONFORMANCE_SERVER=cairn``: ``python -m cairn.server.run`` with ``PYTHONPATH=$CONFORMANCE_CAIRN_ROOT``
  (SQLite store and artifact folder in a fresh temp folder);
- ``CONFORMANCE_SERVER=mlflow``: ``mlflow server`` with a SQLite backend and ``--serve-artifacts``
  (the migrated database is built once per session and copied for each test).

Only the SQLAlchemy flavour of MLflow's fixtures runs (``store_type``/``client`` params are cut to
``["sqlalchemy"]``, so test ids stay ``test_x[sqlalchemy]``); tests that cannot apply to another
server are skipped with the reason in ``SKIPPED`` below.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from host import free_port, stop_process_group  # noqa: E402

HOST = "127.0.0.1"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
SERVER_ENV = "CONFORMANCE_SERVER"
CAIRN_ROOT_ENV = "CONFORMANCE_CAIRN_ROOT"
LOG_TAIL_LINES = 40
# Lines of a server log that mean a request failed inside the server (an answer of 500).
SERVER_ERROR_MARKS = ("Traceback", "failed with an unexpected", "Exception on ", " 500 ")

TRACKING_MODULE = "test_rest_tracking"
REGISTRY_MODULE = "test_model_registry"
TARGET_MODULES = (TRACKING_MODULE, REGISTRY_MODULE)

# Tests left out, by function name, with the reason. Everything else in the two modules runs.
TRACING = "tracing (traces, spans, assessments) is out of scope"
GENAI = "GenAI evaluation (evaluation datasets, scorers) is out of scope"
GATEWAY = "the AI gateway (proxy, secrets, endpoints, providers) is out of scope"
PROMPTS = "prompts (Prompt Lab runs) are out of scope"
IN_PROCESS = "does not talk to the server under test (calls MLflow's handler code in-process)"
OWN_MLFLOW = "starts its own `mlflow server` with an MLflow-only environment variable"
SKIPPED: dict[str, str] = {
    **dict.fromkeys(
        [
            "test_legacy_start_and_end_trace_v2", "test_start_trace", "test_get_trace",
            "test_search_traces", "test_search_traces_parameter_validation",
            "test_search_traces_match_text", "test_delete_traces",
            "test_calculate_trace_filter_correlation", "test_set_and_delete_trace_tag",
            "test_query_trace_metrics", "test_get_trace_handler", "test_get_trace_artifact_handler",
            "test_link_traces_to_run_and_search_traces", "test_assessments_end_to_end",
            "test_rest_store_logs_spans_via_otel_endpoint",
        ],
        TRACING,
    ),
    **dict.fromkeys(
        [
            "test_create_and_get_evaluation_dataset", "test_search_evaluation_datasets",
            "test_evaluation_dataset_tag_operations", "test_evaluation_dataset_delete",
            "test_evaluation_dataset_upsert_records", "test_add_dataset_to_experiments_rest_tracking",
            "test_remove_dataset_from_experiments_rest_tracking",
            "test_add_multiple_experiments_at_once_rest_tracking",
            "test_dataset_experiment_association_error_cases_rest_tracking",
            "test_idempotent_add_experiments_rest_tracking",
            "test_idempotent_remove_experiments_rest_tracking",
            "test_client_api_add_remove_experiments_rest_tracking", "test_scorer_CRUD",
        ],
        GENAI,
    ),
    **dict.fromkeys(
        [
            "test_gateway_proxy_handler_rejects_invalid_requests", "test_create_and_get_secret",
            "test_update_secret", "test_list_secret_infos", "test_delete_secret",
            "test_create_secret_with_dict_value", "test_update_secret_with_dict_value",
            "test_create_and_update_compound_secret_via_rest", "test_create_and_get_endpoint",
            "test_update_endpoint", "test_list_endpoints", "test_delete_endpoint",
            "test_model_definitions", "test_attach_detach_model_to_endpoint",
            "test_endpoint_bindings", "test_secrets_and_endpoints_integration", "test_list_providers",
            "test_list_models", "test_get_provider_config",
            "test_get_secrets_config_with_custom_passphrase",
            "test_get_secrets_config_with_default_passphrase",
            "test_endpoint_with_orphaned_model_definition", "test_update_model_definition_provider",
        ],
        GATEWAY,
    ),
    "test_create_promptlab_run_handler_rejects_invalid_requests": PROMPTS,
    "test_create_promptlab_run_handler_returns_expected_results": PROMPTS,
    "test_get_metric_history_bulk_calls_optimized_impl_when_expected": IN_PROCESS,
    "test_create_model_version_with_validation_regex": OWN_MLFLOW,
}  # fmt: skip

# Names the test modules import that some mlflow releases lack; only skipped tests use them.
COMPAT_NAMES = {"mlflow.utils.providers": {"_PROVIDER_BACKEND_AVAILABLE": False}}


def server_kind() -> str:
    kind = os.environ.get(SERVER_ENV, "")
    if kind not in ("cairn", "mlflow"):
        raise pytest.UsageError(f"set {SERVER_ENV}=cairn or {SERVER_ENV}=mlflow")
    return kind


# --- servers ------------------------------------------------------------------------------------


class ServerProcess:
    """One server subprocess in its own process group, logging to ``folder/server.log``."""

    def __init__(self, argv: list[str], env: dict[str, str], folder: Path, port: int) -> None:
        self.folder = folder
        self.url = f"http://{HOST}:{port}"
        self.log_path = folder / "server.log"
        with self.log_path.open("wb") as log:
            # cwd is inherited on purpose: MLflow resolves a relative artifact_location against
            # the server's working directory and its tests compare with the test process's.
            self.proc = subprocess.Popen(
                argv, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling for readiness
        self.stop()
        raise RuntimeError(f"server not healthy after {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def error_lines(self) -> str:
        """The log lines that show a request failing inside the server, if any."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        hits = [line for line in text.splitlines() if any(mark in line for mark in SERVER_ERROR_MARKS)]
        return "\n".join(hits[-LOG_TAIL_LINES:])

    def stop(self) -> None:
        stop_process_group(self.proc, STOP_TIMEOUT_S)


def mlflow_command(folder: Path, port: int) -> tuple[list[str], dict[str, str]]:
    beside = Path(sys.executable).parent / "mlflow"
    executable = str(beside) if beside.exists() else (shutil.which("mlflow") or "mlflow")
    argv = [
        executable, "server", "--host", HOST, "--port", str(port),
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        "--serve-artifacts", "--artifacts-destination", str(folder / "artifacts"),
        "--workers", "1",
    ]  # fmt: skip
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "PYTHONUNBUFFERED": "1"}
    return argv, env


def cairn_command(folder: Path, port: int) -> tuple[list[str], dict[str, str]]:
    root = os.environ.get(CAIRN_ROOT_ENV)
    if not root:
        raise pytest.UsageError(f"set {CAIRN_ROOT_ENV} to the Cairn checkout to serve")
    argv = [
        sys.executable, "-m", "cairn.server.run", "--host", HOST, "--port", str(port),
        "--backend-store-uri", f"sqlite:///{folder / 'cairn.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
        "--workers", "1", "--log-level", "warning",
    ]  # fmt: skip
    env = {"PYTHONPATH": root, "CAIRN_CAPTURE": "none", "PYTHONUNBUFFERED": "1"}
    return argv, env


@pytest.fixture(scope="session")
def _mlflow_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A migrated MLflow database, built once: migrating a fresh one takes seconds per test."""
    if server_kind() != "mlflow":
        return None
    folder = tmp_path_factory.mktemp("mlflow-template")
    port = free_port()
    server = ServerProcess(*mlflow_command(folder, port), folder=folder, port=port)
    server.stop()
    return folder / "mlflow.db"


@contextmanager
def running_server(folder: Path, template_db: Path | None) -> Iterator[ServerProcess]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if server_kind() == "mlflow":
        if template_db is not None:
            shutil.copyfile(template_db, folder / "mlflow.db")
        argv, env = mlflow_command(folder, port)
    else:
        argv, env = cairn_command(folder, port)
    server = ServerProcess(argv, env, folder, port)
    try:
        yield server
    finally:
        server.stop()


# --- the fixtures that replace MLflow's ---------------------------------------------------------


@pytest.fixture(name="store_type", params=["sqlalchemy"])
def store_type_fixture(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _served_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, template_db: Path | None
) -> Iterator[object]:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(None)
    with running_server(tmp_path_factory.mktemp("server"), template_db) as server:
        try:
            yield MlflowClient(server.url)
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()
            mlflow.set_tracking_uri(None)
            errors = server.error_lines()
            if errors:
                request.node.user_properties.append(("server_errors", errors))


@pytest.fixture(name="mlflow_client")
def mlflow_client_fixture(
    request: pytest.FixtureRequest,
    store_type: str,
    tmp_path_factory: pytest.TempPathFactory,
    _mlflow_template_db: Path | None,
) -> Iterator[object]:
    yield from _served_client(request, tmp_path_factory, _mlflow_template_db)


@pytest.fixture(name="mlflow_client_with_secrets")
def mlflow_client_with_secrets_fixture(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _mlflow_template_db: Path | None,
) -> Iterator[object]:
    yield from _served_client(request, tmp_path_factory, _mlflow_template_db)


@pytest.fixture(name="client", params=["sqlalchemy"])
def registry_client_fixture(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _mlflow_template_db: Path | None,
) -> Iterator[object]:
    for client in _served_client(request, tmp_path_factory, _mlflow_template_db):
        client._store_type = request.param  # type: ignore[attr-defined]  # as MLflow's fixture does
        yield client


REPLACEMENTS = {
    TRACKING_MODULE: {
        "store_type": store_type_fixture,
        "mlflow_client": mlflow_client_fixture,
        "mlflow_client_with_secrets": mlflow_client_with_secrets_fixture,
    },
    REGISTRY_MODULE: {"client": registry_client_fixture},
}


# --- hooks --------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    server_kind()
    for module_name, names in COMPAT_NAMES.items():
        module = importlib.import_module(module_name)
        for name, value in names.items():
            if not hasattr(module, name):
                setattr(module, name, value)
    config.addinivalue_line("markers", "allow_infer_pip_requirements_fallback: MLflow's own marker")
    config.addinivalue_line("markers", "asyncio: MLflow's own marker")


def pytest_report_header(config: pytest.Config) -> str:
    return f"conformance server: {server_kind()}"


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Swap MLflow's server fixtures in the module before pytest parses its fixtures."""
    if not isinstance(collector, pytest.Module):
        return
    replacements = REPLACEMENTS.get(collector.path.stem)
    if replacements is None:
        return
    try:
        module = collector.obj
    except Exception:  # noqa: BLE001 - collection reports the import error itself
        return
    for name, fixture in replacements.items():
        if hasattr(module, name):
            setattr(module, name, fixture)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem not in TARGET_MODULES:
            continue
        reason = SKIPPED.get(getattr(item, "originalname", item.name))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
