"""Datasets in a real browser: the list, a dataset's profile drawn as inline SVG bars, the runs
that used it, and drift between two datasets (most severe first, as `cairn drift` reports it) or
between a model's training data and its served features."""

from __future__ import annotations

import re

import pytest

import cairn

from .conftest import shoot
from .seed_pages import PagesSeed

pytestmark = pytest.mark.slow


def test_datasets_list_links_each_dataset(page, pages_seed: PagesSeed):
    page.goto(pages_seed.url + "/datasets")
    names = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert {"fraud-train", "fraud-live"} <= set(names)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="fraud-train"))
    assert "training" in row.inner_text() and pages_seed.train_digest[:12] in row.inner_text()
    shoot(page, "datasets")


def test_dataset_page_shows_the_profile_with_histograms(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/datasets/{pages_seed.train_digest}")
    assert re.search(r"Rows\s+400", page.locator("dl.facts").inner_text())
    profile = page.locator("table.profile tbody tr")
    assert [r.split("\t")[0] for r in profile.all_inner_texts()] == ["amount", "age", "country"]
    amount = profile.filter(has_text="amount")
    assert amount.locator("svg.histogram.numeric rect").count() == 20
    heights = amount.locator("svg rect").evaluate_all("rs => rs.map(r => parseFloat(r.getAttribute('height')))")
    assert max(heights) > 40 and sum(1 for h in heights if h > 0) > 5
    country = profile.filter(has_text="country")
    assert country.locator("svg.histogram.categorical text").all_text_contents() == ["FR", "DE", "US"]
    assert "categorical" in country.inner_text() and "\t3\t" in country.inner_text()
    runs = page.locator("section[aria-labelledby='runs-h']")
    assert runs.get_by_role("link", name="fraud-train").get_attribute("href") == f"/runs/{pages_seed.run_id}"
    shoot(page, "dataset")


def test_drift_between_two_datasets_matches_the_sdk(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/datasets/{pages_seed.train_digest}")
    form = page.locator("form.drift-form")
    form.get_by_label("Current").select_option(f"dataset:{pages_seed.live_digest}")
    form.get_by_role("button", name="Measure drift").click()
    page.wait_for_url(re.compile(r"/datasets/drift\?"))
    shown = page.locator("table.drift tbody tr")
    features = [r.split("\t")[0] for r in shown.all_inner_texts()]
    client = cairn.Client(pages_seed.url)
    try:
        expected = client.measure_drift(pages_seed.train_digest, pages_seed.live_digest)
    finally:
        client.close()
    assert features == [f.feature for f in expected.features]  # same order: most severe first
    assert shown.first.locator(".badge").inner_text() == expected.features[0].severity
    lead = page.locator("p.lead").inner_text()
    assert f"{len(expected.drifted_features)} drifted feature(s)" in lead
    assert page.get_by_label("Baseline").input_value() == f"dataset:{pages_seed.train_digest}"
    shoot(page, "drift")


def test_drift_of_served_features_against_the_training_data(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}")
    page.get_by_role("link", name=re.compile("Drift of the served features")).click()
    page.wait_for_url(re.compile(r"current=predictions"))
    heading = page.locator("section[aria-labelledby='result-h'] h2").inner_text()
    assert heading.startswith("predictions of fraud-model against fraud-train")
    status = {r.split("\t")[0]: r.split("\t")[2] for r in page.locator("table.drift tbody tr").all_inner_texts()}
    assert status == {"country": "missing", "amount": "drifted", "age": status["age"]}  # the model never took country


def test_drift_refuses_a_server_path(page, pages_seed: PagesSeed):
    answer = page.goto(f"{pages_seed.url}/datasets/drift?baseline=/etc/passwd&current=/etc/hosts")
    assert answer is not None and answer.status == 404
    assert "No dataset" in page.get_by_role("alert").inner_text()
