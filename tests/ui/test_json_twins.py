"""Every page's JSON twin (``?format=json``) answers the data the page renders: the same rows in
the same order, the same run, the same model history; an error is the API's JSON error. The run
page's chart data under the UI's path is the API's metric series."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from .conftest import Seeded

pytestmark = pytest.mark.slow


def both(seeded: Seeded, path: str, **params: Any) -> tuple[str, Any]:
    """The page's HTML and its twin's JSON."""
    page = httpx.get(seeded.url + path, params=params, timeout=60)
    twin = httpx.get(seeded.url + path, params={**params, "format": "json"}, timeout=60)
    assert page.status_code == twin.status_code == 200, (page.text, twin.text)
    assert twin.headers["content-type"] == "application/json"
    return page.text, twin.json()


def link_texts(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<a href="/{prefix}[^"]*">([^<]+)</a>', html)


def test_experiments_twin_lists_the_rows_of_the_page(seeded: Seeded):
    html, twin = both(seeded, "/")
    rows = twin["experiments"]
    assert [r["experiment"]["name"] for r in rows] == link_texts(html, "experiments/")
    churn = next(r for r in rows if r["experiment"]["experiment_id"] == seeded.experiment_id)
    assert churn["run_count"] == 4 and churn["last_activity"] > 0


def test_runs_twin_holds_the_page_of_runs_its_order_and_columns(seeded: Seeded):
    html, twin = both(seeded, f"/experiments/{seeded.experiment_id}", order="metrics.`accuracy` DESC")
    names = [run["run_name"] for run in twin["runs"]]
    assert names == ["churn-3", "churn-2", "churn-1", "churn-0"] == link_texts(html, "runs/")
    assert twin["experiment"]["name"] == "churn" and twin["total"] == 4
    assert "metrics.accuracy" in twin["columns"] and twin["has_next"] is False
    assert twin["runs"][0]["values"][twin["columns"].index("metrics.accuracy")] == pytest.approx(0.89)


def test_runs_twin_reports_a_malformed_filter_where_the_page_does(seeded: Seeded):
    html, twin = both(seeded, f"/experiments/{seeded.experiment_id}", filter="metrics.accuracy >> 0.5")
    assert twin["error_position"] == 18 and "unexpected token '>'" in twin["error"]
    assert twin["runs"] == [] and 'role="alert"' in html


def test_run_twin_holds_what_the_run_page_shows(seeded: Seeded):
    html, twin = both(seeded, f"/runs/{seeded.chart_run_id}")
    assert twin["run"]["info"]["run_id"] == seeded.chart_run_id
    assert twin["run"]["data"]["params"]["optimizer"] == "adam"
    assert twin["experiment"]["name"] == "churn"
    assert "loss" in twin["chart_keys"] and 'data-key="loss"' in html
    files = {f["path"] for f in twin["files"]}
    assert {"notes.txt", "curve.png", "model"} <= files
    assert [(v["name"], v["version"]) for v in twin["versions"]] == [(seeded.model, 1), (seeded.model, 2)]


def test_models_twin_names_the_production_version_and_who_put_it_there(seeded: Seeded):
    html, twin = both(seeded, "/models")
    row = next(r for r in twin["models"] if r["model"]["name"] == seeded.model)
    production = row["production"]
    assert (production["version"], production["started_by"], production["started_by_verified"]) == (1, "carol", False)
    assert [r["model"]["name"] for r in twin["models"]] == link_texts(html, "models/")


def test_model_twin_holds_versions_aliases_timeline_and_audit_log(seeded: Seeded):
    html, twin = both(seeded, f"/models/{seeded.model}")
    assert twin["model"]["name"] == seeded.model
    assert sorted(v["version"] for v in twin["versions"]) == [1, 2]
    assert twin["aliases_of"]["1"] == ["champion"]
    assert twin["production"]["version"] == 1
    stage_bars = [i for i in twin["timeline"] if i["kind"] == "stage"]
    assert [i["version"] for i in stage_bars] == [1, 2, 1]  # the Gantt chart's three Production bars
    assert any(e["reason"] == "v2 drifts on new data" for e in twin["events"])
    assert "v2 drifts on new data" in html
    assert "csrf_token" not in str(twin)  # the forms' token is the page's, not data


def test_a_twin_of_something_missing_is_the_apis_json_error(seeded: Seeded):
    answer = httpx.get(f"{seeded.url}/runs/{'0' * 32}", params={"format": "json"}, timeout=60)
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_the_run_pages_chart_data_is_the_apis_metric_series(seeded: Seeded):
    query = {"key": "loss", "buckets": "300"}
    ui = httpx.get(f"{seeded.url}/runs/{seeded.chart_run_id}/metric-series", params=query, timeout=60)
    api = httpx.get(f"{seeded.url}/api/cairn/v1/metric-series", params={**query, "run_id": seeded.chart_run_id},
                    timeout=60)
    assert ui.status_code == api.status_code == 200
    assert ui.json() == api.json()
    bad = httpx.get(f"{seeded.url}/runs/{seeded.chart_run_id}/metric-series", params={"key": "loss", "start": "x"})
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
