"""The UI's static files: vendored libraries match their checksums, every asset is served under a
hashed name with a year-long immutable cache and a gzip variant, links follow a proxy's prefix,
and the whole JS+CSS weight stays under the budget."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn.ui.assets import IMMUTABLE, STATIC_ROOT, Assets

VENDOR = STATIC_ROOT / "vendor"
PAGE_WEIGHT_BUDGET = 300 * 1024


def test_vendored_files_match_checksums_txt():
    listed = {}
    for line in (VENDOR / "checksums.txt").read_text().splitlines():
        digest, name = line.split("  ")
        listed[name] = digest
    present = {p.name for p in VENDOR.iterdir() if p.name != "checksums.txt"}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_every_vendored_library_ships_its_licence():
    libraries = {p.name.split(".")[0] for p in VENDOR.iterdir() if p.suffix in (".js", ".css")}
    assert {f"{lib}.LICENSE.txt" for lib in libraries} <= {p.name for p in VENDOR.iterdir()}


def test_js_and_css_stay_under_the_page_weight_budget():
    assert Assets().compressed_size((".js", ".css")) < PAGE_WEIGHT_BUDGET


@pytest.fixture(scope="module")
def server(server_factory: Callable[..., Any]) -> Any:
    return server_factory()


def test_assets_are_hashed_immutable_and_gzipped(server: Any):
    page = httpx.get(server.url + "/")
    css = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', page.text)
    assert css, page.text
    zipped = httpx.get(server.url + css.group(1), headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["cache-control"] == IMMUTABLE
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/css")
    assert zipped.text == (STATIC_ROOT / "app.css").read_text()  # httpx decompresses
    plain = httpx.get(server.url + css.group(1), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == (STATIC_ROOT / "app.css").read_bytes()
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content


def test_an_unhashed_or_unknown_asset_name_is_404(server: Any):
    assert httpx.get(server.url + "/static/app.css").status_code == 404
    assert httpx.get(server.url + "/static/../pyproject.toml").status_code == 404


def test_links_follow_the_proxy_prefix(server: Any):
    page = httpx.get(server.url + "/", headers={"X-Forwarded-Prefix": "/tools/cairn"})
    assert 'href="/tools/cairn/static/app.' in page.text
    assert 'href="/tools/cairn/models"' in page.text
    hostile = httpx.get(server.url + "/", headers={"X-Forwarded-Prefix": '/"><script>'})
    assert 'href="/static/app.' in hostile.text and "<script>" not in hostile.text


def test_an_unknown_run_is_an_html_404_page(server: Any):
    page = httpx.get(server.url + "/runs/" + "0" * 32)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "not found" in page.text


def test_html_artifacts_are_never_served_inline(server: Any):
    run = httpx.post(server.url + "/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]
    run_id = run["info"]["run_id"]
    answer = httpx.get(f"{server.url}/runs/{run_id}/image", params={"path": "page.html"})
    assert answer.status_code == 400
    assert "Only PNG, JPEG, GIF and WebP" in answer.text
