"""The model-version, deployment and dataset pages as a whole: each follows the dark colour
scheme, names every control for a screen reader, and, on an empty server, tells a newcomer what
to run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import shoot
from .seed_pages import PagesSeed

pytestmark = pytest.mark.slow

DARK_BACKGROUND = "rgb(13, 17, 23)"


def pages_of(seed: PagesSeed) -> list[tuple[str, str]]:
    return [
        ("version", f"/models/{seed.model}/versions/1"),
        ("deployments", "/deployments"),
        ("deployment", f"/deployments/{seed.model}"),
        ("prediction", f"/predictions/{seed.outcome_id}"),
        ("datasets", "/datasets"),
        ("dataset", f"/datasets/{seed.train_digest}"),
        ("drift", f"/datasets/drift?baseline={seed.train_digest}&current={seed.live_digest}"),
        ("run-provenance", f"/runs/{seed.run_id}"),
    ]


def test_pages_follow_the_dark_colour_scheme_and_name_every_control(page, pages_seed: PagesSeed):
    page.emulate_media(color_scheme="dark")
    for name, path in pages_of(pages_seed):
        answer = page.goto(pages_seed.url + path)
        assert answer is not None and answer.status == 200, name
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND, name
        unnamed = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
            .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length
                            || el.querySelector('title')))
            .map(el => el.outerHTML.slice(0, 120))""")
        assert unnamed == [], name
        if name != "run-provenance":  # its charts draw on scroll; test_pages shoots the run page
            shoot(page, f"dark-{name}")
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/1/report")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND
    shoot(page, "dark-report")


def test_an_empty_server_tells_a_newcomer_what_to_run(page, server_factory: Callable[..., Any]):
    empty = server_factory()
    page.goto(empty.url + "/deployments")
    assert "No deployments yet" in page.locator("section.empty").inner_text()
    assert "cairn deployments set churn --canary 3" in page.locator("section.empty pre").inner_text()
    shoot(page, "deployments-empty")
    page.goto(empty.url + "/datasets")
    assert "No datasets yet" in page.locator("section.empty").inner_text()
    assert 'cairn.log_dataset(train_df, "churn-train"' in page.locator("section.empty pre").inner_text()
    shoot(page, "datasets-empty")
    page.goto(empty.url + "/datasets/drift")
    assert "Nothing to compare yet" in page.locator("section.empty").inner_text()
    answer = page.goto(empty.url + "/deployments/nobody")
    assert answer is not None and answer.status == 404
