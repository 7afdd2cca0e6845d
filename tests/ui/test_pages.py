"""The web UI in a real browser: every page opens, the runs table filters (OR, and a malformed
filter shown inline), sorts and pages on the server, a run's chart draws and refetches on zoom,
artifacts preview safely and download, and the model page shows its timeline and audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import SPIKE_STEP, Seeded, shoot

pytestmark = pytest.mark.slow


def test_experiments_page_lists_experiments_with_run_counts(page, seeded: Seeded):
    page.goto(seeded.url + "/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="churn", exact=True))
    assert row.get_by_role("cell").nth(1).inner_text() == "4"
    assert page.get_by_role("link", name="mlflow-client").is_visible()
    shoot(page, "experiments")


def test_runs_filter_with_or_keeps_only_matching_runs_and_the_url(page, seeded: Seeded):
    page.goto(f"{seeded.url}/experiments/{seeded.experiment_id}")
    assert page.locator("table.runs-table tbody tr").count() == 4
    page.get_by_label("Filter runs").fill("params.optimizer = 'sgd' OR (metrics.accuracy > 0.88 AND tags.team = 'vision')")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"filter="))
    names = page.locator("table.runs-table tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == ["churn-1", "churn-3"]
    shoot(page, "runs-filtered")
    page.reload()
    assert page.locator("table.runs-table tbody tr").count() == 2


def test_a_malformed_filter_is_shown_inline_at_the_bad_token(page, seeded: Seeded):
    page.goto(f"{seeded.url}/experiments/{seeded.experiment_id}")
    page.get_by_label("Filter runs").fill("metrics.accuracy >> 0.5")
    page.get_by_role("button", name="Apply").click()
    alert = page.get_by_role("alert")
    assert "unexpected token '>' at position 18" in alert.inner_text()
    assert alert.locator("mark").inner_text() == ">"
    assert page.get_by_label("Filter runs").get_attribute("aria-invalid") == "true"
    shoot(page, "runs-bad-filter")


def test_sorting_by_a_metric_column_orders_rows_on_the_server(page, seeded: Seeded):
    page.goto(f"{seeded.url}/experiments/{seeded.experiment_id}")
    page.get_by_role("link", name="metrics.accuracy").click()
    page.wait_for_url(re.compile(r"order=metrics"))
    assert page.locator("table.runs-table tbody tr td:first-child").all_inner_texts() == [
        "churn-3", "churn-2", "churn-1", "churn-0"]
    page.get_by_role("link", name="metrics.accuracy").click()
    page.wait_for_url(re.compile(r"ASC"))
    assert page.locator("table.runs-table tbody tr td:first-child").first.inner_text() == "churn-0"
    header = page.get_by_role("columnheader", name="metrics.accuracy")
    assert header.get_attribute("aria-sort") == "ascending"


def test_the_column_picker_adds_a_param_column(page, seeded: Seeded):
    page.goto(f"{seeded.url}/experiments/{seeded.experiment_id}")
    page.locator("summary", has_text="Columns").click()
    page.get_by_role("checkbox", name="layers").check()
    page.get_by_role("button", name="Show columns").click()
    page.wait_for_url(re.compile(r"cols=params.layers"))
    assert page.get_by_role("columnheader", name="params.layers").is_visible()


def test_run_page_shows_overview_params_metrics_and_draws_a_chart_that_refetches_on_zoom(page, seeded: Seeded):
    page.goto(f"{seeded.url}/runs/{seeded.chart_run_id}")
    assert page.get_by_role("heading", name="churn-0").is_visible()
    assert page.get_by_role("cell", name="optimizer").is_visible()
    figure = page.locator("figure.chart[data-key='loss']")
    figure.scroll_into_view_if_needed()
    page.wait_for_selector("figure.chart[data-key='loss'][data-drawn='true']")
    assert figure.locator("canvas").count() == 1
    assert "buckets" in figure.locator(".chart-status").inner_text()
    spike = page.evaluate(
        """async (run) => {
            const r = await fetch(`/api/cairn/v1/metric-series?run_id=${run}&key=loss&buckets=300`);
            const s = await r.json(); return Math.max(...s.max);
        }""", seeded.chart_run_id)
    assert spike == 50.0  # the one-step spike survives bucketing
    shoot(page, "run")
    box = figure.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.65, box["y"] + 40, steps=5)
    page.mouse.up()
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss']\").dataset.fetches === '2'")
    status = figure.locator(".chart-status").inner_text()
    first_step = int(re.search(r"Steps (\d+)", status).group(1))
    assert first_step > SPIKE_STEP - 2000
    shoot(page, "run-chart-zoomed")


@pytest.mark.parametrize("name, check", [
    ("notes.txt", lambda p: p.locator("#preview pre").inner_text().startswith("Trained on the March snapshot.")),
    ("config.json", lambda p: '"layers": [' in p.locator("#preview pre").inner_text()),
    ("predictions.csv", lambda p: p.locator("#preview th").all_inner_texts() == ["id", "label", "score"]),
    ("curve.png", lambda p: p.locator("#preview img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 24),
    ("report.html", lambda p: "never displayed" in p.locator("#preview").inner_text()),
    ("logo.svg", lambda p: "never displayed" in p.locator("#preview").inner_text()),
])  # fmt: skip
def test_artifact_previews_are_safe(page, seeded: Seeded, name, check):
    page.goto(f"{seeded.url}/runs/{seeded.chart_run_id}")
    page.get_by_role("button", name=name).click()
    page.get_by_role("heading", name=name).wait_for()
    assert check(page)
    assert page.title() != "owned"
    if name in ("predictions.csv", "report.html"):
        shoot(page, f"artifact-{name.replace('.', '-')}")


def test_artifact_download_is_an_attachment(page, seeded: Seeded):
    page.goto(f"{seeded.url}/runs/{seeded.chart_run_id}")
    page.get_by_role("button", name="model/").click()
    page.get_by_role("button", name="MLmodel").click()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download").click()
    download = caught.value
    assert download.suggested_filename == "MLmodel"
    assert Path(download.path()).read_text() == "flavors: {}\n"


def test_models_page_shows_who_put_the_production_version_there(page, seeded: Seeded):
    page.goto(seeded.url + "/models")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=seeded.model))
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells[1] == "v1" and cells[3] == "carol (unverified)"
    shoot(page, "models")


def test_model_page_shows_versions_timeline_and_audit_log(page, seeded: Seeded):
    page.goto(f"{seeded.url}/models/{seeded.model}")
    assert "v1 in Production" in page.locator(".lead").inner_text()
    assert "v2 drifts on new data" in page.locator(".lead").inner_text()
    assert page.get_by_text("@champion").first.is_visible()
    bars = page.locator("figure.gantt rect.bar")
    assert bars.count() == 4  # v1, v2, v1 again in Production, and the alias
    labels = [bars.nth(i).get_attribute("aria-label") for i in range(bars.count())]
    assert any("by bob (unverified): better recall" in label for label in labels)
    audit = page.get_by_role("table").last
    assert "v2 drifts on new data" in audit.inner_text()
    shoot(page, "model")


def test_runs_of_an_mlflow_client_experiment_are_shown(page, seeded: Seeded):
    page.goto(f"{seeded.url}/experiments/{seeded.mlflow_experiment_id}")
    page.get_by_role("link", name="from-mlflow").click()
    page.locator("figure.chart").scroll_into_view_if_needed()
    shoot(page, "run-mlflow")
    page.wait_for_selector("figure.chart[data-key='val_loss'][data-drawn='true']")
    assert "50 points" in page.locator("figure.chart .chart-status").inner_text()


def test_pages_follow_the_dark_colour_scheme(page, seeded: Seeded):
    page.emulate_media(color_scheme="dark")
    for name, path in [("experiments", "/"), ("runs", f"/experiments/{seeded.experiment_id}"),
                       ("run", f"/runs/{seeded.chart_run_id}"), ("model", f"/models/{seeded.model}")]:
        page.goto(seeded.url + path)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(13, 17, 23)", name
        if name == "run":
            page.locator("figure.chart").last.scroll_into_view_if_needed()
            page.wait_for_function("[...document.querySelectorAll('figure.chart')].every(f => f.dataset.drawn)")
        shoot(page, f"dark-{name}")


def test_every_control_is_reachable_by_keyboard_and_named(page, seeded: Seeded):
    page.goto(f"{seeded.url}/runs/{seeded.chart_run_id}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    unnamed = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select, textarea')]
        .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length))
        .map(el => el.outerHTML)""")
    assert unnamed == []
    page.get_by_role("button", name="notes.txt").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="notes.txt").wait_for()
