"""``cairn models report`` on an embedded store: one self-contained HTML file with every section a
model-risk review reads, to a file or stdout; ``--pdf`` says what to install when Chromium is
missing; an unknown version is a one-line error. (Against a server, with the PDF printed by
Chromium: tests/ui/test_versions.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cairn
from cairn.client import tracking_uri
from cairn.entities import Policy
from cairn.registry.policies import parse_metric_requirement

MLMODEL = "flavors:\n  python_function:\n    loader_module: fake\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Model 'churn' v1 in Production through a metric gate, trained on a logged dataset, with
    slice metrics; v2 registered, never promoted."""
    home = tmp_path_factory.mktemp("cli-report")
    client = cairn.Client(tracking_uri=str(home / "store"))
    run = client.create_run("0", run_name="train-churn")
    client.log_params(run.run_id, {"max_depth": 6})
    for key, value in {"auc": 0.87, "slice/plan:pro/auc": 0.9, "slice/plan:pro/rows": 120}.items():
        client.log_metric(run.run_id, key, value)
    client.log_dataset(run.run_id, pd.DataFrame({"tenure": [1, 5, 9, 12], "plan": ["pro", "free", "pro", "free"]}),
                       "churn-train")
    client.log_text(run.run_id, MLMODEL, "model/MLmodel")
    client.flush()
    for _ in range(2):
        client.register_model(f"runs:/{run.run_id}/model", "churn", user="alice")
    client.set_policy("churn", Policy(required_metrics=(parse_metric_requirement("auc >= 0.8"),)), user="alice")
    client.promote("churn", 1, "Production", reason="first release", user="bob")
    client.close()
    yield home
    tracking_uri.close_all()


@pytest.fixture
def cli(store: Path, in_process: Callable[[str, Path, int], Any]) -> Any:
    return in_process(str(store / "store"), store, 120)


def test_report_writes_one_self_contained_html_file(cli: Any, store: Path) -> None:
    out = store / "churn-v1.html"
    result = cli("models", "report", "churn", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and f"Wrote {out}" in result.stderr
    html = out.read_text()
    for title in ("At a glance", "What went into it", "Slice metrics", "Gates and approvals", "Production timeline",
                  "Lineage"):
        assert f">{title}</h" in html, title
    assert "<script" not in html and " src=" not in html and 'rel="stylesheet"' not in html
    assert "<style>" in html and "@media print" in html
    assert "train-churn" in html and "churn-train" in html and "plan:pro" in html
    assert "metric:auc" in html and "first release" in html and "<svg" in html
    assert 'href="/' not in html  # no UI to link to from an embedded store


def test_report_without_out_writes_html_to_stdout(cli: Any) -> None:
    result = cli("models", "report", "churn", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!doctype html>") and "churn <span class=\"muted\">v2</span>" in result.stdout
    assert "Never in Production" in result.stdout


def test_pdf_without_chromium_says_what_to_install(cli: Any, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_CHROMIUM", str(store / "no-chromium-here"))
    result = cli("models", "report", "churn", "1", "--pdf", str(store / "churn.pdf"))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --pdf prints the report with Chromium, which is not installed here")
    assert "apt-get install chromium" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (store / "churn.pdf").exists()


def test_an_unknown_version_is_a_one_line_error(cli: Any) -> None:
    result = cli("models", "report", "churn", "7")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
