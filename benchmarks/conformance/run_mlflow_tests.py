"""Run MLflow's own server-facing test modules against `cairn server` and/or `mlflow server`.

    python benchmarks/conformance/run_mlflow_tests.py --mlflow-tests DIR [--server cairn|mlflow|both]
        [-k EXPR] [--timeout S] [--results-dir DIR] [-- extra pytest args]

DIR is a folder holding MLflow's test sources laid out as in the mlflow/mlflow repository
(``tests/tracking/test_rest_tracking.py``, ``tests/tracking/test_model_registry.py`` and the helpers
they import: ``tests/tracking/integration_test_utils.py``, ``tests/helper_functions.py``,
``tests/integration/utils.py``). Nothing of MLflow's test code lives in this repository.

For each server (one at a time, MLflow first with ``both``) pytest runs in a fresh working folder
with ``mlflow_suite_plugin`` loaded and MLflow's own conftest files left out (``--noconftest``):
every test gets its own server subprocess over a fresh SQLite store (see the plugin's docstring;
the Cairn server runs the checkout given by ``--cairn-root``, this one by default). Each run writes
``<server>.xml`` (JUnit) and ``<server>.json`` (outcome and one-line message per test) to the
results folder and prints its counts. Then it prints every test that passes on MLflow's server but
not on Cairn's, taking MLflow's outcomes from the results folder or, when it has none, from
``mlflow_baseline.json`` beside this file (the full MLflow run behind RESULTS.md).

The MLflow client in the test process is told not to retry (MLFLOW_HTTP_REQUEST_MAX_RETRIES=0), so
an error answer fails a test at once instead of after minutes of back-off; both servers get the same.
Exit status: 0 when the comparison shows no test passing on MLflow but failing on Cairn, 1 otherwise,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_RESULTS = REPO / "benchmarks" / "results" / "conformance"
# MLflow's outcomes from a full run (RESULTS.md), used when the results folder has no mlflow.json:
# a full run against `mlflow server` takes over half an hour on a 2-core machine.
BASELINE = HERE / "mlflow_baseline.json"
MODULES = ("tests/tracking/test_rest_tracking.py", "tests/tracking/test_model_registry.py")
SERVERS = ("mlflow", "cairn")
DEFAULT_TIMEOUT_S = 180
MESSAGE_CHARS = 400
MESSAGE_LINES = 4
PASSING = ("passed", "xpassed")
# The test process talks to servers on 127.0.0.1 only; nothing may phone home.
TEST_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "PYTHONUNBUFFERED": "1",
}
PYTEST_INI = """[pytest]
addopts =
filterwarnings =
    ignore::DeprecationWarning
    ignore::PendingDeprecationWarning
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlflow-tests", type=Path, required=True, help="folder holding MLflow's tests/")
    parser.add_argument("--server", choices=(*SERVERS, "both"), default="both")
    parser.add_argument("--cairn-root", type=Path, default=REPO, help="Cairn checkout the cairn server runs")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per test")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    tests_dir = args.mlflow_tests.resolve()
    missing = [m for m in MODULES if not (tests_dir / m).is_file()]
    if missing:
        parser.error(f"{tests_dir} lacks {', '.join(missing)}")
    if not (args.cairn_root / "cairn" / "server" / "run.py").is_file():
        parser.error(f"{args.cairn_root} is not a Cairn checkout")
    args.mlflow_tests = tests_dir
    args.cairn_root = args.cairn_root.resolve()
    return args


def run_suite(server: str, args: argparse.Namespace) -> dict[str, object]:
    """Run the modules against ``server``; return the summary also written to <server>.json."""
    args.results_dir.mkdir(parents=True, exist_ok=True)
    junit = args.results_dir / f"{server}.xml"
    with tempfile.TemporaryDirectory(prefix=f"conformance-{server}-") as workdir:
        ini = Path(workdir) / "pytest.ini"
        ini.write_text(PYTEST_INI)
        command = [
            sys.executable, "-m", "pytest", "-c", str(ini), "--rootdir", str(args.mlflow_tests),
            "-p", "no:cacheprovider", "--noconftest", "-p", "mlflow_suite_plugin", f"--timeout={args.timeout}",
            f"--junitxml={junit}", "-o", "junit_family=xunit1", "-q", "-rfE", "--tb=short",
            *(["-k", args.keyword] if args.keyword else []),
            *args.pytest_args,
            *(str(args.mlflow_tests / m) for m in MODULES),
        ]  # fmt: skip
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            **TEST_ENV,
            "PYTHONPATH": os.pathsep.join([str(args.mlflow_tests), str(HERE)]),
            "CONFORMANCE_SERVER": server,
            "CONFORMANCE_CAIRN_ROOT": str(args.cairn_root),
        }
        print(f"== {server}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        status = subprocess.call(command, cwd=workdir, env=env)
        elapsed = time.monotonic() - started
    outcomes = read_junit(junit) if junit.exists() else {}
    summary: dict[str, object] = {
        "server": server,
        "pytest_exit_status": status,
        "seconds": round(elapsed, 1),
        "keyword": args.keyword,
        "counts": count(outcomes),
        "tests": outcomes,
    }
    (args.results_dir / f"{server}.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    return summary


def read_junit(path: Path) -> dict[str, dict[str, str]]:
    """test id -> {"outcome", "message", "server_errors"} from a JUnit XML report."""
    tests: dict[str, dict[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        test_id = f"{module}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                # A teardown error after a failure must not hide the failure.
                if outcome not in ("failed", "error"):
                    outcome, message = ("failed" if child.tag == "failure" else "error"), first_line(child)
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
                message = child.get("message", "")
        errors = [p.get("value", "") for p in case.iter("property") if p.get("name") == "server_errors"]
        tests[test_id] = {"outcome": outcome, "message": message, "server_errors": "\n".join(errors)}
    return tests


def first_line(element: ET.Element) -> str:
    """The failure's message on one line: its first lines joined (a regex mismatch, for one,
    only says which regex and which text on the lines after the first)."""
    lines = (element.get("message") or element.text or "").splitlines()[:MESSAGE_LINES]
    return " ".join(" ".join(lines).split())[:MESSAGE_CHARS]


def count(outcomes: dict[str, dict[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in outcomes.values():
        counts[result["outcome"]] = counts.get(result["outcome"], 0) + 1
    return dict(sorted(counts.items()))


def print_summary(summary: dict[str, object]) -> None:
    counts = summary["counts"]
    assert isinstance(counts, dict)
    text = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no results"
    print(f"{summary['server']}: {text} in {summary['seconds']} s", flush=True)


def compare(results_dir: Path) -> list[tuple[str, str]] | None:
    """Tests that pass on MLflow's server but not on Cairn's (among those both runs hold), or
    None without a Cairn run. MLflow's results come from this run's folder, else the baseline."""
    cairn_file = results_dir / "cairn.json"
    mlflow_file = results_dir / "mlflow.json"
    if not mlflow_file.exists():
        mlflow_file = BASELINE
    if not cairn_file.exists() or not mlflow_file.exists():
        return None
    print(f"MLflow results: {mlflow_file}")
    mlflow_tests = json.loads(mlflow_file.read_text())["tests"]
    cairn_tests = json.loads(cairn_file.read_text())["tests"]
    regressions = []
    for test_id, result in sorted(mlflow_tests.items()):
        theirs = cairn_tests.get(test_id)
        if result["outcome"] in PASSING and theirs is not None and theirs["outcome"] not in PASSING:
            regressions.append((test_id, f"[{theirs['outcome']}] {theirs['message']}"))
    return regressions


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    servers = SERVERS if args.server == "both" else (args.server,)
    for server in servers:
        print_summary(run_suite(server, args))
    for server in SERVERS:
        path = args.results_dir / f"{server}.json"
        if server not in servers and path.exists():
            print("(earlier run) ", end="")
            print_summary(json.loads(path.read_text()))
    regressions = compare(args.results_dir)
    if regressions is None:
        print("no comparison: run --server cairn (MLflow's side falls back to mlflow_baseline.json)")
        return 0
    print(f"\npass on MLflow, fail on Cairn: {len(regressions)}")
    for test_id, message in regressions:
        print(f"  {test_id}\n      {message}")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
