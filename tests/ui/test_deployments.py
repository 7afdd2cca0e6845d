"""Deployments in a real browser, over a prediction log written by a real `cairn serve`: the list,
one deployment's traffic split and its arms compared, its predictions filtered by arm, version,
time and the filter grammar and paged on the server, and one prediction's page."""

from __future__ import annotations

import re

import pytest

from .conftest import shoot
from .seed_pages import CANARY_PERCENT, REQUESTS, PagesSeed

pytestmark = pytest.mark.slow


def rows(page):  # type: ignore[no-untyped-def]
    return page.locator("table.predictions tbody tr")


def column(page, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return rows(page).locator(f"td:nth-child({index})").all_inner_texts()


def test_deployments_list_shows_the_served_model(page, pages_seed: PagesSeed):
    page.goto(pages_seed.url + "/deployments")
    assert page.get_by_role("link", name="Deployments").get_attribute("aria-current") == "page"
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=pages_seed.model))
    text = row.inner_text()
    assert f"canary v3 {CANARY_PERCENT:g}%" in text and "shadow v2" in text and "carol" in text
    shoot(page, "deployments")
    row.get_by_role("link", name=pages_seed.model).click()
    page.wait_for_url(re.compile(r"/deployments/fraud-model$"))


def test_deployment_page_shows_the_split_and_compares_the_arms(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}")
    split = page.locator(".split")
    assert split.get_attribute("aria-label") == "Traffic: primary v1 75%, canary v3 25%"
    arms = page.locator("table.arms tbody tr").all_inner_texts()
    assert arms[0].startswith("primary\tv1") and arms[1] == "canary\tv3\t25%" and arms[2].startswith("shadow\tv2")
    compared = page.locator("section[aria-labelledby='compare-h']")
    stats = {r.split("\t")[0]: r.split("\t") for r in compared.locator("tbody tr").all_inner_texts()}
    assert int(stats["primary"][2]) + int(stats["canary"][2]) == REQUESTS
    assert int(stats["shadow"][2]) == REQUESTS and stats["shadow"][1] == "v2"
    assert stats["primary"][7] == "1"  # the outcome logged back
    assert re.search(r"shadow vs primary: [\d.]+% agreement over [\d,]+ rows", compared.inner_text())
    assert "canary vs primary: they answer different requests" in compared.inner_text()
    shoot(page, "deployment")


def test_predictions_are_paged_newest_first_on_the_server(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}")
    assert rows(page).count() == 50
    first_page = column(page, 2)
    page.get_by_role("link", name="Older →").click()
    page.wait_for_url(re.compile(r"before=\d+"))
    second_page = column(page, 2)
    assert len(second_page) == 2 * REQUESTS - 50
    assert not set(first_page) & set(second_page)
    assert page.get_by_role("link", name="Older →").count() == 0
    page.get_by_role("link", name="← Newest").click()
    assert column(page, 2) == first_page


def test_predictions_filter_by_arm_version_time_and_features(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}")
    form = page.locator("form.prediction-filters")
    form.get_by_label("Arm").select_option("canary")
    form.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"arm=canary"))
    assert set(column(page, 4)) == {"canary"} and set(column(page, 3)) == {"v3"}
    form.get_by_label("Arm").select_option("")
    form.get_by_label("Version").select_option("2")
    form.get_by_label("Filter").fill("features.amount > 200")
    form.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"version=2"))
    assert rows(page).count() > 0 and set(column(page, 4)) == {"shadow"}
    amounts = [float(re.search(r"amount=([\d.]+)", f).group(1)) for f in column(page, 5)]
    assert min(amounts) > 200
    shoot(page, "deployment-filtered")
    form.get_by_label("From").fill("2000-01-01T00:00")
    form.get_by_label("Until").fill("2000-01-02T00:00")
    form.get_by_role("button", name="Apply").click()
    assert "No prediction matches these filters" in page.locator("section[aria-labelledby='predictions-h']").inner_text()


def test_a_bad_filter_is_refused_with_its_message(page, pages_seed: PagesSeed):
    answer = page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}?since=yesterday-ish")
    assert answer is not None and answer.status == 400
    assert "is not a time" in page.get_by_role("alert").inner_text()
    answer = page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}?arm=robot")
    assert answer is not None and answer.status == 400 and "Unknown arm 'robot'" in page.get_by_role("alert").inner_text()


def test_a_prediction_page_shows_version_arm_features_output_and_outcome(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/deployments/{pages_seed.model}?version=1")
    row = rows(page).last  # the oldest answer of v1 on the first page
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/predictions/\w+$"))
    facts = page.locator("dl.facts").inner_text()
    assert "fraud-model v1" in facts and "primary" in facts
    assert page.get_by_role("link", name=pages_seed.run_id).get_attribute("href") == f"/runs/{pages_seed.run_id}"
    features = page.locator("section[aria-labelledby='features-h'] tbody tr").all_inner_texts()
    assert [f.split("\t")[0] for f in features] == ["amount", "age"]
    page.goto(f"{pages_seed.url}/predictions/{pages_seed.outcome_id}")
    assert re.search(r"Outcome\s+1", page.locator("dl.facts").inner_text())
    assert page.locator("section[aria-labelledby='output-h'] pre").inner_text().strip() in ("0", "1")
    shoot(page, "prediction")
    page.get_by_role("link", name="fraud-model v1").click()
    page.wait_for_url(re.compile(r"/models/fraud-model/versions/1$"))
