"""The ``cairn`` command through its real console script, against a store written with the SDK."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer

import cairn
from cairn import cli
from cairn.cli import lookup, runs
from cairn.cli.render.sparklines import BARS
from tests import backends

# The module's store and its planned CLI calls (a subprocess each) are made in the first test's
# setup: well under a minute on a quiet machine, past pytest's default limit on a busy one.
pytestmark = pytest.mark.timeout(900)

TERMINAL_COLUMNS = 200
STEPS = 40
LONG_HISTORY = 500

DIFF_PATCH = """\
diff --git a/train.py b/train.py
index 1111111..2222222 100644
--- a/train.py
+++ b/train.py
@@ -1,3 +1,4 @@
 import numpy
-lr = 0.1
+lr = 0.01
+epochs = 40
diff --git a/notes.md b/notes.md
new file mode 100644
--- /dev/null
+++ b/notes.md
@@ -0,0 +1,2 @@
+# notes
+--- a changed line, not a header
"""
REQUIREMENTS = "numpy==1.26.4\npandas==2.2.2\nscikit_learn==1.5.0\nrich==13.7.1\n"
CAPTURE_TAGS = {
    "mlflow.source.git.commit": "9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3",
    "mlflow.source.git.branch": "feature/cli",
    "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
    "cairn.git.dirty": "true",
    "cairn.git.diff_files": "2",
    "cairn.python.version": "3.11.9",
    "cairn.python.implementation": "CPython",
    "cairn.env.packages": "4",
    "cairn.os": "Linux-6.8.0-x86_64",
    "cairn.kernel": "6.8.0-45-generic",
    "cairn.cpu.model": "AMD EPYC 7B13",
    "cairn.cpu.count": "8",
    "cairn.ram.bytes": str(32 * 1024**3),
    "cairn.gpus": "none",
    "cairn.hostname": "trainer-1",
    "mlflow.source.name": "train.py",
    "cairn.command": "python train.py --lr 0.01",
    "cairn.seed": "42",
    "cairn.seed.libraries": "random,numpy",
    "team": "growth",
}
# name -> (lr, optimizer, final accuracy); accuracies are exact in 4 decimals on purpose.
CHURN_RUNS = {
    "baseline": (0.1, "adam", 0.85),
    "tuned": (0.01, "adam", 0.93),
    "wide": (0.05, "adam", 0.91),
    "small": (0.2, "sgd", 0.62),
}


@dataclass
class Store:
    uri: str
    home: Path
    run_ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Experiments 'churn' (four runs, 'tuned' with capture tags and artifacts) and 'vision'."""
    home = tmp_path_factory.mktemp("cli")
    with backends.embedded_store(home / "store") as uri:
        yield from _populate(Store(uri=uri, home=home))


def _populate(populated: Store) -> Iterator[Store]:
    client = cairn.Client(tracking_uri=populated.uri)
    churn = client.create_experiment("churn")
    for name, (lr, optimizer, final_acc) in CHURN_RUNS.items():
        run = client.create_run(churn, run_name=name, start_time=1_700_000_000_000 + len(populated.run_ids))
        populated.run_ids[name] = run.run_id
        client.log_params(run.run_id, {"lr": lr, "optimizer": optimizer})
        for step in range(STEPS):
            acc = final_acc if step == STEPS - 1 else round(0.5 + (final_acc - 0.5) * step / STEPS, 4)
            client.log_metric(run.run_id, "acc", acc, step=step)
            client.log_metric(run.run_id, "loss", round(math.exp(-step / 10), 4), step=step)
        client.set_terminated(run.run_id, end_time=1_700_000_060_000)
    tuned = populated.run_ids["tuned"]
    for step in range(LONG_HISTORY):
        client.log_metric(tuned, "lr_schedule", 0.01 * (1 + math.cos(math.pi * step / LONG_HISTORY)), step=step)
    client.set_tags(tuned, CAPTURE_TAGS)
    client.log_text(tuned, DIFF_PATCH, "code/diff.patch")
    client.log_text(tuned, REQUIREMENTS, "environment/requirements.txt")
    client.log_text(tuned, "x" * 2048, "model/model.pkl")
    client.flush()
    vision = client.create_experiment("vision")
    populated.run_ids["solo"] = client.create_run(vision, run_name="solo").run_id
    yield populated
    client.close()
    client.backend.close()


MISSING_RUN_ID = "0123456789abcdef0123456789abcdef"
FILTER_OR = "metrics.acc > 0.9 OR params.optimizer = 'sgd'"
ORDERED_CALL = ("runs", "list", "-e", "churn", "--order-by", "params.optimizer", "--order-by", "metrics.acc DESC",
                "--max", "3", "--json")
SPARKLINE = re.compile(rf"^\s*([{BARS}]+)\s*$", re.MULTILINE)


def _command_paths(command: object = None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    command = command or typer.main.get_command(cli.app)
    paths = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, (*prefix, name))
    return paths


def _planned_calls(store: Store) -> list[tuple[str, ...]]:
    tuned = store.run_ids["tuned"]
    return [
        ("--help",), ("runs", "list", "--help"),
        ("--version",),
        ("experiments", "list"), ("experiments", "list", "--json"),
        ("runs", "list"), ("runs", "list", "--json"),
        ("runs", "list", "-e", "churn", "--filter", FILTER_OR, "--json"),
        ORDERED_CALL,
        ("runs", "list", "--filter", "metrics.acc >>> 1"),
        ("runs", "list", "--max", "0"),
        ("runs", "show", tuned), ("runs", "show", tuned, "--json"),
        ("runs", "show", tuned[:6], "--json"), ("runs", "show", "small", "-e", "churn", "--json"),
        ("runs", "show", MISSING_RUN_ID),
        ("artifacts", "list", "tuned"), ("artifacts", "list", "tuned", "--json"),
        ("artifacts", "download", "tuned", "environment/requirements.txt", "--dest", str(store.home / "dl")),
    ]


@pytest.fixture(scope="module")
def run(store: Store, make_cli: Callable[[str, Path, int], Any]) -> Any:
    """``run(*args)``: the result of ``cairn ARGS...`` on the store; planned calls run up front."""
    runner = make_cli(store.uri, store.home, TERMINAL_COLUMNS)
    runner.prefetch(_planned_calls(store))
    return runner


def _assert_one_error_line(result: Any) -> None:
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# help and version ----------------------------------------------------------------------------
# Each command's help comes from cairn.cli.main in this process (a console-script call costs a
# Python start-up each, about a second, for some 90 commands); the test after it checks that the
# console script prints the very same help.
@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "cairn")
def test_every_command_and_group_has_help_with_an_example(
        store: Store, in_process: Callable[[str, Path, int], Any], path: tuple[str, ...]) -> None:
    result = in_process(store.uri, store.home, TERMINAL_COLUMNS)(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: cairn" in result.stdout
    assert "Example:" in result.stdout
    assert "cairn " in result.stdout.split("Example:", 1)[1]


@pytest.mark.parametrize("path", [(), ("runs", "list")], ids=["cairn", "runs list"])
def test_the_console_script_prints_the_help_cairn_cli_main_prints(
        run: Any, store: Store, in_process: Callable[[str, Path, int], Any], path: tuple[str, ...]) -> None:
    script = run(*path, "--help")
    assert script.returncode == 0, script.stderr
    assert script.stdout == in_process(store.uri, store.home, TERMINAL_COLUMNS)(*path, "--help").stdout


def test_version_prints_the_installed_version(run: Any) -> None:
    result = run("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"cairn \d+\.\d+\.\d+\S*\n", result.stdout)


def test_unusable_option_value_is_a_usage_error_with_exit_2(run: Any) -> None:
    result = run("runs", "list", "--max", "0")
    assert result.returncode == 2
    assert "Usage: cairn runs list" in result.stderr
    assert result.stdout == ""


# experiments ---------------------------------------------------------------------------------
def test_experiments_list_json_and_table_name_the_same_experiments(run: Any) -> None:
    experiments = run("experiments", "list", "--json").json()["experiments"]
    assert {e["name"] for e in experiments} == {"Default", "churn", "vision"}
    table = run("experiments", "list").stdout
    for e in experiments:
        assert re.search(rf"^\s*{e['experiment_id']}\s+{e['name']}\s", table, re.MULTILINE)


# runs list -----------------------------------------------------------------------------------
def test_runs_list_json_and_table_carry_the_same_runs_params_and_metrics(run: Any) -> None:
    doc = run("runs", "list", "--json").json()
    table = run("runs", "list").stdout
    assert {r["run_name"] for r in doc["runs"]} == {*CHURN_RUNS, "solo"}
    for r in doc["runs"]:
        line = next(l for l in table.splitlines() if l.startswith(r["run_id"][:8]))
        assert r["run_name"] in line and r["status"] in line
        for value in r["params"].values():
            assert value in line
        for value in r["metrics"].values():
            assert f"{value:.6g}" in line
    kinds, headers = table.splitlines()[:2]
    assert kinds.split() == ["metric", "metric", "metric", "param", "param"]
    assert headers.split()[-5:] == ["acc", "loss", "lr_schedule", "lr", "optimizer"] and "Experiment" in headers


def test_runs_list_filter_with_or_keeps_runs_matching_either_side(run: Any) -> None:
    doc = run("runs", "list", "-e", "churn", "--filter", FILTER_OR, "--json").json()
    assert {r["run_name"] for r in doc["runs"]} == {"tuned", "wide", "small"}


def test_runs_list_order_by_repeats_for_ties_and_honours_desc(run: Any) -> None:
    doc = run(*ORDERED_CALL).json()
    # adam runs by accuracy, highest first; the one sgd run would come last
    assert [r["run_name"] for r in doc["runs"]] == ["tuned", "wide", "baseline"]


def test_runs_list_max_limits_rows_and_says_more_match(run: Any) -> None:
    doc = run(*ORDERED_CALL).json()
    assert len(doc["runs"]) == 3
    assert doc["has_more"] is True


def test_invalid_filter_exits_1_with_one_error_line(run: Any) -> None:
    result = run("runs", "list", "--filter", "metrics.acc >>> 1")
    _assert_one_error_line(result)
    assert "filter" in result.stderr


# runs show -----------------------------------------------------------------------------------
def test_runs_show_json_and_human_output_carry_the_same_facts(run: Any, store: Store) -> None:
    tuned = store.run_ids["tuned"]
    doc = run("runs", "show", tuned, "--json").json()
    text = run("runs", "show", tuned).stdout
    assert doc["run"]["run_id"] == tuned and tuned in text
    assert doc["params"] == {"lr": "0.01", "optimizer": "adam"}
    for key, value in doc["params"].items():
        assert re.search(rf"^{key}\s+{re.escape(value)}\s*$", text, re.MULTILINE)
    assert doc["metrics"]["acc"]["value"] == CHURN_RUNS["tuned"][2]
    for key, metric in doc["metrics"].items():
        assert re.search(rf"^{key}\s+last {metric['value']:.6g} ·", text, re.MULTILINE)
    code = doc["code"]
    assert code["commit"] == CAPTURE_TAGS["mlflow.source.git.commit"] and code["commit"] in text
    assert code["branch"] == "feature/cli" and "feature/cli" in text
    assert code["dirty"] is True
    assert code["diff"] == {"artifact": "code/diff.patch", "files": ["train.py", "notes.md"], "added": 4, "removed": 1}
    assert "2 files changed, +4 -1 lines" in text
    env = doc["environment"]
    assert env["ram_gib"] == 32.0 and "32.0 GiB" in text
    assert env["key_packages"] == {"numpy": "1.26.4", "pandas": "2.2.2", "scikit-learn": "1.5.0"}
    assert "numpy==1.26.4, pandas==2.2.2, scikit-learn==1.5.0" in text
    assert doc["seeds"] == {"seed": 42, "libraries": ["random", "numpy"]}
    assert re.search(r"^seeded\s+random, numpy", text, re.MULTILINE)
    assert doc["tags"]["seeds"] == {"cairn.seed": "42", "cairn.seed.libraries": "random,numpy"}
    assert doc["tags"]["other"]["team"] == "growth"
    assert {f["path"] for f in doc["artifacts"]["files"]} == {
        "code/diff.patch", "environment/requirements.txt", "model/model.pkl"}
    assert "model.pkl  2.0 KiB" in text


def test_runs_show_draws_a_sparkline_per_metric_fitted_to_the_terminal(run: Any, store: Store) -> None:
    text = run("runs", "show", store.run_ids["tuned"]).stdout
    charts = SPARKLINE.findall(text)
    assert len(charts) == 3  # acc, loss, lr_schedule, in key order
    acc, loss, schedule = charts
    assert len(acc) == STEPS and acc[0] == BARS[0] and acc[-1] == BARS[-1]
    assert loss[0] == BARS[-1] and loss[-1] == BARS[0]
    assert len(schedule) < LONG_HISTORY and len(schedule) <= TERMINAL_COLUMNS
    assert f"steps 0–{LONG_HISTORY - 1} ({LONG_HISTORY} points)" in text


def test_runs_show_json_curve_is_downsampled_history(run: Any, store: Store) -> None:
    metrics = run("runs", "show", store.run_ids["tuned"], "--json").json()["metrics"]
    assert metrics["lr_schedule"]["points"] == LONG_HISTORY
    assert len(metrics["lr_schedule"]["curve"]) == runs.JSON_CURVE_POINTS
    assert metrics["acc"]["min"] == 0.5 and metrics["acc"]["max"] == 0.93
    assert (metrics["acc"]["first_step"], metrics["acc"]["last_step"]) == (0, STEPS - 1)


def test_runs_show_finds_a_run_by_id_prefix_or_by_name(run: Any, store: Store) -> None:
    tuned = store.run_ids["tuned"]
    assert run("runs", "show", tuned[:6], "--json").json()["run"]["run_id"] == tuned
    assert run("runs", "show", "small", "-e", "churn", "--json").json()["run"]["run_id"] == store.run_ids["small"]


def test_missing_run_exits_1_with_one_error_line_and_no_traceback(run: Any) -> None:
    result = run("runs", "show", MISSING_RUN_ID)
    _assert_one_error_line(result)
    assert MISSING_RUN_ID in result.stderr


# artifacts -----------------------------------------------------------------------------------
def test_artifacts_list_json_and_table_list_the_same_entries(run: Any) -> None:
    doc = run("artifacts", "list", "tuned", "--json").json()
    assert [(f["path"], f["is_dir"]) for f in doc["files"]] == [
        ("code", True), ("environment", True), ("model", True)]
    table = run("artifacts", "list", "tuned").stdout
    assert all(f"{name}/" in table for name in ("code", "environment", "model"))


def test_artifacts_download_writes_the_file_and_prints_its_path(run: Any, store: Store) -> None:
    dest = store.home / "dl"
    result = run("artifacts", "download", "tuned", "environment/requirements.txt", "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    local = Path(result.stdout.strip())
    assert local == dest / "requirements.txt"
    assert local.read_text() == REQUIREMENTS
    assert "Downloading" in result.stderr


# process behaviour ---------------------------------------------------------------------------
def test_closed_pipe_exits_quietly(run: Any, store: Store) -> None:
    process = subprocess.Popen([str(run.script), "runs", "show", store.run_ids["tuned"]], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=run.env, cwd=run.cwd)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first byte is written
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=60) == 1
    assert stderr == b""


def test_ctrl_c_prints_one_line_and_exits_130(store: Store, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt  # stands in for the user pressing Ctrl-C mid-command

    monkeypatch.setattr(lookup, "resolve_run", interrupted)
    assert cli.main(["--tracking-uri", store.uri, "runs", "show", "tuned"]) == 130
    captured = capsys.readouterr()
    assert captured.err == "Interrupted.\n" and captured.out == ""
