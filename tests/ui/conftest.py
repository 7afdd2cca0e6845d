"""Browser tests of the web UI: Debian's Chromium driven by Playwright for Python, against a real
``cairn server`` subprocess seeded with Cairn's SDK and the real ``mlflow`` client.

One server and one browser per session keep the suite quick. Every page gets a route handler that
refuses any request leaving 127.0.0.1: the UI must work with no network. Screenshots go to
``$CAIRN_TEST_SCREENSHOTS/ui`` (default ``tests/ui/screenshots/``, git-ignored; not
``CAIRN_TEST_ARTIFACTS``, which picks the artifact store the suite runs on).
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mlflow
import pytest
from mlflow.tracking import MlflowClient

import cairn

# The mlflow client phones home unless told not to; tests must not touch the network.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SPIKE_STEP = 12_345
SERIES_POINTS = 20_000


def screenshot_dir() -> Path:
    root = os.environ.get("CAIRN_TEST_SCREENSHOTS")
    folder = Path(root) / "ui" if root else Path(__file__).parent / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([40, 120, 200]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass
class Seeded:
    url: str
    experiment_id: str
    mlflow_experiment_id: str
    chart_run_id: str
    run_ids: list[str] = field(default_factory=list)
    model: str = "churn-model"


@contextlib.contextmanager
def capture_off() -> Iterator[None]:
    """``CAIRN_CAPTURE=none`` while seeding, put back afterwards: later tests in the same process
    (another module's runs, a reproduction's child process) must see the setting they expect."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAIRN_CAPTURE", "none")
        yield


def seed(server: Any, tmp: Path) -> Seeded:
    cairn.set_tracking_uri(server.url)
    experiment_id = cairn.set_experiment("churn").experiment_id
    run_ids = []
    for i, (optimizer, lr) in enumerate([("adam", 0.1), ("sgd", 0.01), ("adam", 0.001), ("rmsprop", 0.05)]):
        with cairn.start_run(run_name=f"churn-{i}") as run:
            cairn.log_params({"optimizer": optimizer, "lr": lr, "layers": 2 + i})
            cairn.log_metrics({"accuracy": 0.80 + i * 0.03, "f1": 0.7 + i * 0.02})
            cairn.set_tag("team", "vision" if i % 2 else "tabular")
            run_ids.append(run.info.run_id)
    chart_run_id = run_ids[0]
    client = cairn.Client(server.url)
    for step in range(SERIES_POINTS):
        loss = 50.0 if step == SPIKE_STEP else 2.0 / (1 + step / 500)
        client.log_metric(chart_run_id, "loss", loss, step=step)
    client.flush()
    files = tmp / "files"
    (files / "model").mkdir(parents=True)
    (files / "notes.txt").write_text("Trained on the March snapshot.\nSecond line.\n")
    (files / "config.json").write_text('{"optimizer": "adam", "layers": [64, 32]}')
    (files / "predictions.csv").write_text("id,label,score\n1,yes,0.91\n2,no,0.12\n")
    (files / "curve.png").write_bytes(tiny_png())
    (files / "report.html").write_text("<script>document.title='owned'</script><h1>report</h1>")
    (files / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (files / "model" / "MLmodel").write_text("flavors: {}\n")
    for name in ("notes.txt", "config.json", "predictions.csv", "curve.png", "report.html", "logo.svg"):
        client.log_artifact(chart_run_id, str(files / name))
    client.log_artifact(chart_run_id, str(files / "model" / "MLmodel"), "model")

    mlflow.set_tracking_uri(server.url)
    mlflow_experiment_id = mlflow.set_experiment("mlflow-client").experiment_id
    with mlflow.start_run(run_name="from-mlflow"):
        mlflow.log_params({"optimizer": "adam", "depth": 6})
        for step in range(50):
            mlflow.log_metric("val_loss", 1.0 / (step + 1), step=step)
    mlflow.set_tracking_uri(None)

    for _ in range(2):
        client.register_model(f"runs:/{chart_run_id}/model", "churn-model", user="alice")
    client.promote("churn-model", 1, "Production", reason="first release", user="alice")
    client.promote("churn-model", 2, "Production", reason="better recall", user="bob")
    client.rollback_model("churn-model", reason="v2 drifts on new data", user="carol")
    MlflowClient(server.url).set_registered_model_alias("churn-model", "champion", "1")
    cairn.set_tracking_uri(None)
    return Seeded(server.url, experiment_id, mlflow_experiment_id, chart_run_id, run_ids)


@pytest.fixture(scope="session")
def seeded(server_factory: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One server for the whole UI suite (its log is checked for 500s at the end)."""
    with capture_off():
        return seed(server_factory(), tmp_path_factory.mktemp("ui-files"))


@pytest.fixture(scope="module")  # Playwright's sync API keeps an event loop running while open
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: run `apt-get install chromium` (as root).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page whose every request must stay on 127.0.0.1 (others are refused and fail the test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    leaked: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            leaked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not leaked, f"requests left 127.0.0.1: {leaked}"
    assert not errors, f"JavaScript errors: {errors}"


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def pages_seed(seeded: Seeded, serve_launcher: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A served model with versions, a deployment and datasets on the suite's server (``seed_pages``)."""
    from .seed_pages import seed_pages

    return seed_pages(seeded.url, tmp_path_factory.mktemp("ui-serving"), serve_launcher)
