"""The run page's provenance in a real browser: the commit linked to its forge, branch and dirty
flag, the uncommitted diff drawn as a diff (escaped, never run), environment, seeds, the datasets
(linked to their pages), the logged model and the registry versions made from the run."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from .conftest import shoot
from .seed_pages import COMMIT, PagesSeed

pytestmark = pytest.mark.slow


def test_run_page_shows_code_with_a_forge_link_and_the_diff(page, pages_seed: PagesSeed):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{pages_seed.url}/runs/{pages_seed.run_id}")
    code = page.locator("section[aria-labelledby='code-h']")
    assert code.get_by_role("link", name=COMMIT).get_attribute("href") == \
        f"https://github.com/acme/fraud-detection/commit/{COMMIT}"
    facts = code.locator("dl.facts").inner_text()
    assert "feature/threshold" in facts and re.search(r"Uncommitted changes\s+yes", facts)
    assert code.locator("pre.diff .d-file").inner_text() == "diff --git a/train.py b/train.py"
    assert code.locator("pre.diff .d-del").all_inner_texts() == ["-C = 1.0"]
    added = code.locator("pre.diff .d-add").all_inner_texts()
    assert added == ['+C = 0.5  # <script>alert("not run")</script>']  # shown as text
    assert code.locator("pre.diff script").count() == 0 and dialogs == []
    color = code.locator("pre.diff .d-add").evaluate("e => getComputedStyle(e).backgroundColor")
    assert color != code.locator("pre.diff .d-context").first.evaluate("e => getComputedStyle(e).backgroundColor")
    code.scroll_into_view_if_needed()
    shoot(page, "run-code")


def test_run_page_shows_environment_seeds_datasets_and_models(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/runs/{pages_seed.run_id}")
    env = page.locator("section[aria-labelledby='env-h']").inner_text()
    assert "3.11.9 (CPython)" in env and "Linux-6.1.0" in env and "AMD EPYC 7B13, 2 cores" in env and "8.0 GiB" in env
    page.get_by_text("All 4 pinned packages").click()
    assert f"scipy=={metadata.version('scipy')}" in page.locator("ul.package-list").inner_text()
    assert "Seed 42" in page.locator("section[aria-labelledby='seeds-h']").inner_text()
    datasets = page.locator("section[aria-labelledby='datasets-h']")
    assert datasets.get_by_role("link", name="fraud-train").get_attribute("href") == \
        f"/datasets/{pages_seed.train_digest}"
    assert f"runs:/{pages_seed.run_id}/model" in page.locator("section[aria-labelledby='logged-h']").inner_text()
    versions = page.locator("section[aria-labelledby='versions-h']")
    assert versions.get_by_role("link", name="version 1").get_attribute("href") == "/models/fraud-model/versions/1"
    assert versions.get_by_role("link", name=re.compile(r"^version \d$")).count() == 3


def test_a_run_without_captured_context_says_what_to_run(page, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"{seeded.url}/runs/{seeded.run_ids[1]}")
    assert "No code recorded" in page.locator("section[aria-labelledby='code-h']").inner_text()
    assert "cairn.seed_everything(42)" in page.locator("section[aria-labelledby='seeds-h']").inner_text()
    assert "cairn.log_dataset" in page.locator("section[aria-labelledby='datasets-h']").inner_text()
