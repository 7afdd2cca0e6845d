"""An accessibility audit of every page: axe-core, injected into the page by the test (it is never
served by Cairn), must find no serious or critical violation, in the light and the dark colour
scheme. A new page joins the audit with one line in ``PAGES``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cairn.ui.assets import STATIC_ROOT

from .axe_audit import VENDOR, audit
from .conftest import Seeded

pytestmark = pytest.mark.slow

SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class AuditedPage:
    name: str
    path: Callable[[Seeded], str]
    # Brings the page into the state to audit (an open preview, an expanded picker...).
    prepare: Callable[[Any], None] | None = None


def _open_preview(page: Any) -> None:
    page.get_by_role("button", name="predictions.csv").click()
    page.get_by_role("heading", name="predictions.csv").wait_for()


def _draw_charts(page: Any) -> None:
    page.locator("figure.chart").last.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('figure.chart')].every(f => f.dataset.drawn)")


def _open_columns(page: Any) -> None:
    page.locator("summary", has_text="Columns").click()


def _ask_to_confirm(page: Any) -> None:
    form = page.locator("form", has=page.get_by_role("heading", name="Change a version's stage"))
    form.get_by_label("Reason (required)").fill("audit")
    form.get_by_role("button", name="Promote…").click()
    page.locator("form.confirm").wait_for()


# Every page of the UI (on the seeded server without --auth; the login page is audited in test_login).
PAGES = [
    AuditedPage("experiments", lambda s: "/"),
    AuditedPage("runs", lambda s: f"/experiments/{s.experiment_id}", _open_columns),
    AuditedPage("runs-bad-filter", lambda s: f"/experiments/{s.experiment_id}?filter=metrics.accuracy+%3E%3E+0.5"),
    AuditedPage("runs-empty", lambda s: f"/experiments/{s.experiment_id}?filter=metrics.accuracy+%3E+5"),
    AuditedPage("run", lambda s: f"/runs/{s.chart_run_id}", _draw_charts),
    AuditedPage("run-preview", lambda s: f"/runs/{s.chart_run_id}", _open_preview),
    AuditedPage("models", lambda s: "/models"),
    AuditedPage("model", lambda s: f"/models/{s.model}"),
    AuditedPage("model-confirm", lambda s: f"/models/{s.model}", _ask_to_confirm),
    AuditedPage("not-found", lambda s: "/runs/" + "0" * 32),
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("audited", PAGES, ids=[p.name for p in PAGES])
def test_every_page_passes_an_axe_audit(page, seeded: Seeded, audited: AuditedPage, scheme: str):
    audit(page, seeded.url + audited.path(seeded), scheme, audited.name, audited.prepare)


def test_axe_is_vendored_with_its_licence_and_checksum_and_never_shipped():
    listed = dict(reversed(line.split("  ")) for line in (VENDOR / "checksums.txt").read_text().splitlines())
    assert set(listed) == {"axe.min.js", "axe.LICENSE.txt"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert (VENDOR / "axe.LICENSE.txt").read_text().startswith("Mozilla Public License, version 2.0")
    assert not [p for p in STATIC_ROOT.rglob("*") if "axe" in p.name.lower()]
