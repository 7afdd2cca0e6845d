"""A model version's page in a real browser: what went into it (run, code linked to its forge,
params, metrics, slices, datasets, environment, seeds, signature), its gates and sign-off, the
production timeline and the lineage graph whose nodes lead to their pages; the printable report,
in the UI and as `cairn models report` against the server (HTML, and PDF through Chromium)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHROMIUM, shoot
from .seed_pages import COMMIT, SKLEARN_PIN, PagesSeed

pytestmark = pytest.mark.slow

REPORT_SECTIONS = ("At a glance", "What went into it", "Slice metrics", "Gates and approvals", "Production timeline",
                   "Lineage")


def section(page, heading_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f"section[aria-labelledby='{heading_id}']")


def test_the_model_page_links_each_version_to_its_page(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}")
    page.get_by_role("link", name="Version 3", exact=True).click()
    page.wait_for_url(re.compile(r"/models/fraud-model/versions/3$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("fraud-model v3")
    assert "canary" in section(page, "glance-h").inner_text()


def test_version_page_answers_what_went_into_it(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/1")
    glance = section(page, "glance-h").inner_text()
    assert "In Production since" in glance and "alice" in glance and "approved by bob" in glance
    assert "as primary (75% of traffic)" in glance
    made = section(page, "made-h")
    assert made.get_by_role("link", name="fraud-train", exact=True).first.get_attribute("href") == \
        f"/runs/{pages_seed.run_id}"
    commit = made.get_by_role("link", name=COMMIT)
    assert commit.get_attribute("href") == f"https://github.com/acme/fraud-detection/commit/{COMMIT}"
    text = made.inner_text()
    assert "feature/threshold" in text and "+1" in text and "−1" in text
    assert re.search(r"auc\s+0\.91", text) and re.search(r"C\s+0\.5", text)
    slices = made.locator("table", has=page.get_by_role("columnheader", name="Slice"))
    assert slices.locator("tbody tr").all_inner_texts() == ["country:FR\t200\t0.93", "country:US\t80\t0.78"]
    dataset = made.get_by_role("link", name="fraud-train").last
    assert dataset.get_attribute("href") == f"/datasets/{pages_seed.train_digest}"
    assert pages_seed.train_digest in text and "400" in text
    assert "3.11.9 (CPython)" in text and "AMD EPYC 7B13, 2 cores, 8.0 GiB RAM" in text
    assert SKLEARN_PIN in text
    assert "Seed 42" in text
    inputs = made.locator("table", has=page.locator("caption", has_text="Inputs")).inner_text()
    assert "amount" in inputs and "age" in inputs and "double" in inputs
    shoot(page, "version")


def test_version_page_shows_gates_sign_off_timeline_and_lineage(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/1")
    gates = section(page, "gates-h").inner_text()
    assert "auc >= 0.8" in gates and "by another user" in gates
    assert re.search(r"promote: None → Production.*all passed", gates)
    assert re.search(r"metric:auc\s+pass\s+0\.91\s+>= 0\.8", gates)
    assert "held for sign-off" in gates
    assert re.search(r"None → Production.*alice.*beats the rules engine.*approved.*bob.*evaluation report checked",
                     gates, re.DOTALL)
    timeline = section(page, "timeline-h")
    assert timeline.locator("rect.bar.stage.highlight").count() == 1
    assert "deployment_set" in timeline.inner_text()
    lineage = section(page, "lineage-h")
    kinds = lineage.locator("g.node").evaluate_all("nodes => nodes.map(n => n.getAttribute('class'))")
    assert sorted(kinds) == ["node commit", "node dataset", "node deployment", "node model_version root", "node run"]
    assert lineage.locator("path.edge").count() == 4
    shoot(page, "version-gates-lineage")
    lineage.locator("a", has=page.locator("g.node.dataset")).click()
    page.wait_for_url(re.compile(rf"/datasets/{pages_seed.train_digest}$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("fraud-train")


def test_lineage_leads_to_the_deployment(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/1")
    section(page, "lineage-h").locator("a", has=page.locator("g.node.deployment")).click()
    page.wait_for_url(re.compile(r"/deployments/fraud-model$"))


def test_an_unknown_version_is_a_404_page(page, pages_seed: PagesSeed):
    answer = page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/99")
    assert answer is not None and answer.status == 404
    assert "not found" in page.get_by_role("alert").inner_text().lower()


def test_printable_report_page_has_every_section_and_print_css(page, pages_seed: PagesSeed):
    page.goto(f"{pages_seed.url}/models/{pages_seed.model}/versions/1")
    page.get_by_role("link", name="Printable report").click()
    page.wait_for_url(re.compile(r"/versions/1/report$"))
    assert page.locator("script, link[rel=stylesheet], img").count() == 0  # self-contained
    for title in REPORT_SECTIONS:
        assert page.get_by_role("heading", name=title, exact=True).count() == 1, title
    shoot(page, "report")
    page.emulate_media(media="print", color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert not page.locator("p.no-print").is_visible()
    shoot(page, "report-print")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cairn.cli", *args], capture_output=True, text=True, timeout=180,
                          check=False)


def test_cairn_models_report_against_the_server_writes_html_and_pdf(pages_seed: PagesSeed, tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.fail(f"The PDF report needs Chromium at {CHROMIUM}: run `apt-get install chromium` (as root).")
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    done = run_cli("--tracking-uri", pages_seed.url, "models", "report", pages_seed.model, "1", "--out", str(html),
                   "--pdf", str(pdf))
    assert done.returncode == 0, done.stderr
    text = html.read_text()
    for title in REPORT_SECTIONS:
        assert f">{title}</h" in text, title
    assert "<script" not in text and 'rel="stylesheet"' not in text and " src=" not in text
    assert f'href="{pages_seed.url}/runs/{pages_seed.run_id}"' in text  # links lead back to the server
    assert "country:US" in text and "beats the rules engine" in text and "<svg" in text
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 10_000
