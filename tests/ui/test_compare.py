"""Comparing runs in a real browser: tick runs on the runs page and compare them; the diff hides
equal rows until "differences only" is unticked; the overlaid charts draw every run, refetch on
zoom, switch to wall time and a log scale, smooth, and download a full series as CSV; bad
addresses get clear error pages."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import cairn

from .conftest import Seeded, capture_off, shoot

pytestmark = pytest.mark.slow

LOSS_POINTS = 3000
SHORT_POINTS = 120
POINT_SPACING_MS = 250


@dataclass
class Sweep:
    url: str
    experiment_id: str
    run_ids: dict[str, str]

    def compare(self, *names: str, extra: str = "") -> str:
        return f"{self.url}/compare?" + "&".join(f"run={self.run_ids[n]}" for n in names) + extra


def _patch(lr: float) -> str:
    return (f"diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1,3 +1,3 @@\n"
            f" import torch\n-LR = 0.5\n+LR = {lr}\n EPOCHS = 10\n")


@pytest.fixture(scope="module")
def sweep(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    """Three runs of one sweep: lr differs, optimizer and layers do not; two long loss curves and a short one."""
    with capture_off():
        return _seed_sweep(seeded, tmp_path_factory)


def _seed_sweep(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    files = tmp_path_factory.mktemp("sweep")
    cairn.set_tracking_uri(seeded.url)
    experiment_id = cairn.set_experiment("sweep").experiment_id
    client = cairn.Client(seeded.url)
    run_ids = {}
    plan = [("sweep-a", 0.1, LOSS_POINTS, "torch==2.3.0"), ("sweep-b", 0.01, LOSS_POINTS, "torch==2.4.1"),
            ("sweep-c", 0.03, SHORT_POINTS, "torch==2.3.0")]
    for i, (name, lr, points, torch) in enumerate(plan):
        with cairn.start_run(run_name=name) as run:
            cairn.log_params({"optimizer": "adam", "lr": lr, "layers": 3, "batch_size": 64})
            cairn.set_tag("mlflow.source.git.commit", f"{i + 1:x}" * 40)
            cairn.set_tag("mlflow.source.git.branch", "main")
            cairn.set_tag("cairn.seed", "42")
            run_id = run.info.run_id
        run_ids[name] = run_id
        start = run.info.start_time or int(time.time() * 1000)
        for step in range(points):
            loss = 2.0 / (1 + step * lr) + (0.4 if step == 1234 else 0.0)
            client.log_metric(run_id, "loss", loss, timestamp=start + step * POINT_SPACING_MS, step=step)
        client.log_metric(run_id, "accuracy", 0.7 + lr, step=points - 1)
        folder = files / name
        (folder / "code").mkdir(parents=True)
        (folder / "environment").mkdir()
        (folder / "code" / "diff.patch").write_text(_patch(lr))
        (folder / "environment" / "requirements.txt").write_text(f"numpy==1.26.4\n{torch}\n")
        client.log_artifact(run_id, str(folder / "code" / "diff.patch"), "code")
        client.log_artifact(run_id, str(folder / "environment" / "requirements.txt"), "environment")
    client.flush()
    cairn.set_tracking_uri(None)
    return Sweep(seeded.url, experiment_id, run_ids)


def series_requests(page) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []
    page.on("request", lambda r: seen.append({k: v[0] for k, v in parse_qs(urlsplit(r.url).query).items()})
            if "/metric-series" in r.url else None)
    return seen


def drawn_chart(page, key: str):  # type: ignore[no-untyped-def]
    figure = page.locator(f"figure.chart[data-key='{key}']")
    figure.scroll_into_view_if_needed()
    page.wait_for_selector(f"figure.chart[data-key='{key}'][data-drawn='true']")
    return figure


def test_ticking_two_runs_on_the_runs_page_opens_their_comparison(page, sweep: Sweep):
    page.goto(f"{sweep.url}/experiments/{sweep.experiment_id}")
    page.get_by_role("checkbox", name="Select sweep-a", exact=True).check()
    page.get_by_role("checkbox", name="Select sweep-b", exact=True).check()
    shoot(page, "runs-select-to-compare")
    page.get_by_role("link", name="Compare (2)").click()
    page.wait_for_url(re.compile(r"/compare\?run="))
    assert sorted(parse_qs(urlsplit(page.url).query)["run"]) == sorted([sweep.run_ids["sweep-a"], sweep.run_ids["sweep-b"]])
    assert page.get_by_role("heading", name="Compare 2 runs").is_visible()


def test_differences_only_hides_equal_params_until_unticked(page, sweep: Sweep):
    page.goto(sweep.compare("sweep-a", "sweep-b"))
    params = page.locator("table.compare-table").first
    lr = params.get_by_role("row", name=re.compile(r"^lr"))
    assert lr.is_visible()
    assert lr.locator("td.differs").inner_text().startswith("0.01")
    optimizer = params.get_by_role("row", name=re.compile(r"^optimizer"))
    assert not optimizer.is_visible()
    assert "3 parameters with the same value in every run hidden" in page.locator(".diff").inner_text()
    code = page.locator("table.compare-table").nth(2)
    assert code.get_by_role("row", name=re.compile(r"^Git commit")).is_visible()
    assert not code.get_by_role("row", name=re.compile(r"^Branch")).is_visible()
    page.locator("details.patch summary").click()
    # A diff of the two runs' patches: sweep-a's "+LR = 0.1" went, sweep-b's "+LR = 0.01" came.
    assert page.locator("pre.diff-lines .del").all_inner_texts() == ["-+LR = 0.1"]
    assert page.locator("pre.diff-lines .add").all_inner_texts() == ["++LR = 0.01"]
    assert "torch" in page.locator("section.diff").get_by_role("cell", name="upgraded").locator("..").inner_text()
    shoot(page, "compare-differences")
    page.get_by_label("Differences only").uncheck()
    assert optimizer.is_visible()
    assert optimizer.locator("td.differs").count() == 0
    assert code.get_by_role("row", name=re.compile(r"^Branch")).is_visible()


def test_the_overlaid_chart_draws_every_run_and_refetches_them_on_zoom(page, sweep: Sweep):
    requests = series_requests(page)
    page.goto(sweep.compare("sweep-a", "sweep-b", "sweep-c"))
    figure = drawn_chart(page, "loss")
    assert figure.locator("ul.legend li").all_inner_texts()[0].startswith("sweep-a")
    assert figure.locator("ul.legend li").count() == 3
    assert "3 runs: 1 point by point, 2 as buckets" in figure.locator(".chart-status").inner_text()
    assert {r["run_id"] for r in requests if r["key"] == "loss"} == set(sweep.run_ids.values())
    shoot(page, "compare")
    box = figure.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.38, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + 40, steps=5)
    page.mouse.up()
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss']\").dataset.fetches === '2'")
    zoomed = [r for r in requests if r["key"] == "loss" and "start" in r]
    assert {r["run_id"] for r in zoomed} == set(sweep.run_ids.values())
    assert all(1000 < int(r["start"]) < int(r["end"]) < 1500 for r in zoomed)
    status = figure.locator(".chart-status").inner_text()
    assert int(re.search(r"Steps (\d+)", status).group(1)) > 1000
    shoot(page, "compare-chart-zoomed")


def test_charts_switch_to_wall_time_log_scale_and_smoothing(page, sweep: Sweep):
    requests = series_requests(page)
    page.goto(sweep.compare("sweep-a", "sweep-b"))
    figure = drawn_chart(page, "loss")
    page.get_by_label("X axis").select_option("time")
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss'] .chart-status\").textContent.startsWith('Time ')")
    assert {r["x"] for r in requests[-2:]} == {"timestamp"}
    assert figure.get_attribute("data-x") == "time"
    page.get_by_label("Log scale").check()
    assert figure.get_attribute("data-scale") == "log"
    assert "Log scale." in figure.locator(".chart-status").inner_text()
    page.get_by_label("Smoothing").select_option("0.9")
    assert "Smoothed (EMA 0.9)" in figure.locator(".chart-status").inner_text()
    assert parse_qs(urlsplit(page.url).query).items() >= {"x": ["time"], "log": ["1"], "smooth": ["0.9"]}.items()
    shoot(page, "compare-time-log-smooth")
    page.get_by_label("X axis").select_option("relative")
    page.wait_for_function(
        "document.querySelector(\"figure.chart[data-key='loss'] .chart-status\").textContent.startsWith('Relative time 0s')")
    page.reload()  # the chart options live in the address
    figure = drawn_chart(page, "loss")
    assert figure.get_attribute("data-scale") == "log" and figure.get_attribute("data-x") == "relative"
    starts = page.evaluate("Object.values(JSON.parse(document.getElementById('chart-runs').textContent)).map(r => r.start)")
    box = figure.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 40, steps=5)
    page.mouse.up()
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss']\").dataset.fetches === '2'")
    zoomed = [r for r in requests if r["key"] == "loss" and "start" in r]
    assert len(zoomed) == 2 and {r["x"] for r in zoomed} == {"timestamp"}
    # Relative seconds went back to each run's own timestamps: within its curve, past its start.
    for request, start in zip(sorted(zoomed, key=lambda r: int(r["start"])), sorted(starts), strict=True):
        assert start < int(request["start"]) < int(request["end"]) < start + LOSS_POINTS * POINT_SPACING_MS


def test_csv_download_holds_every_point_of_the_series(page, sweep: Sweep):
    page.goto(sweep.compare("sweep-a", "sweep-c"))
    figure = drawn_chart(page, "loss")
    with page.expect_download() as caught:
        figure.get_by_role("link", name="CSV of every point of loss in sweep-a").click()
    download = caught.value
    assert download.suggested_filename == f"{sweep.run_ids['sweep-a']}-loss.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0] == ["step", "timestamp", "value"]
    assert len(rows) == LOSS_POINTS + 1
    assert float(rows[1235][2]) == pytest.approx(2.0 / (1 + 1234 * 0.1) + 0.4)


def test_parallel_coordinates_draw_a_line_per_run_over_the_differing_axes(page, sweep: Sweep):
    page.goto(sweep.compare("sweep-a", "sweep-b", "sweep-c"))
    svg = page.locator("figure.parallel svg")
    assert svg.locator("g.pc-run").count() == 3
    labels = svg.locator("text.pc-label").all_text_contents()
    assert labels[:1] == ["lr"] and "loss" in labels
    page.locator("summary", has_text="Choose charts").click()
    page.get_by_role("checkbox", name="params.optimizer").check()
    page.get_by_role("button", name="Update").click()
    page.wait_for_url(re.compile(r"axis=params.optimizer"))
    assert "optimizer" in svg.locator("text.pc-label").all_text_contents()


@pytest.mark.parametrize("query, status, message", [
    ("run={a}", 400, "Choose at least 2 runs to compare, got 1"),
    ("", 400, "Choose at least 2 runs to compare, got 0"),
    ("&".join(f"run={i:032x}" for i in range(21)), 400, "At most 20 runs can be compared at once, got 21"),
    ("run={a}&run=" + "f" * 32, 404, f"Run with id={'f' * 32} not found"),
])  # fmt: skip
def test_a_bad_comparison_is_an_error_page_with_its_status(page, sweep: Sweep, query, status, message):
    response = page.goto(f"{sweep.url}/compare?" + query.format(a=sweep.run_ids["sweep-a"]))
    assert response.status == status
    assert message in page.get_by_role("alert").inner_text()
    twin = page.request.get(f"{sweep.url}/compare?format=json&" + query.format(a=sweep.run_ids["sweep-a"]))
    assert twin.status == status and message in twin.json()["message"]
    if status == 404:
        shoot(page, "compare-error")


def test_the_json_twin_carries_the_diffs_and_the_series_to_fetch(page, sweep: Sweep):
    answer = page.request.get(sweep.compare("sweep-a", "sweep-b", "sweep-c", extra="&format=json"))
    body = answer.json()
    assert body["baseline"] == sweep.run_ids["sweep-a"]
    assert [d["b"] for d in body["diffs"]] == [sweep.run_ids["sweep-b"], sweep.run_ids["sweep-c"]]
    assert body["diffs"][0]["diff"]["params"]["changed"] == {"lr": {"a": "0.1", "b": "0.01"}}
    loss = next(c for c in body["charts"] if c["key"] == "loss")
    assert len(loss["series"]) == 3
    assert page.request.get(sweep.url + loss["series"][0]["series"]).json()["key"] == "loss"


def test_the_compare_page_follows_the_dark_colour_scheme(page, sweep: Sweep):
    page.emulate_media(color_scheme="dark")
    page.goto(sweep.compare("sweep-a", "sweep-b", "sweep-c", extra="&all=1"))
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    assert not page.get_by_label("Differences only").is_checked()
    drawn_chart(page, "loss")
    drawn_chart(page, "accuracy")
    shoot(page, "dark-compare")
