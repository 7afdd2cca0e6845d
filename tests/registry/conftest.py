"""Fixtures for registry tests: a controllable clock, runs with metrics, versions, an artifact
store (the webhook receiver on 127.0.0.1 is in the root conftest)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cairn import registry
from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import Actor, Metric
from cairn.registry.model_files import ArtifactStoreModelFiles
from cairn.store.database import Database
from cairn.tracking import clock as tracking_clock
from cairn.tracking import run_data, runs

REGISTRY_TABLES = (
    "registered_models", "registered_model_tags", "model_versions", "model_version_tags", "model_aliases",
    "transition_requests", "audit_events", "registry_settings", "webhooks", "webhook_deliveries",
)
START_MS = 1_700_000_000_000


class FakeClock:
    """Stands in for ``cairn.tracking.clock.now_ms``; time moves only when a test says so."""

    def __init__(self, start: int = START_MS) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> int:
        self.now += ms
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(tracking_clock, "now_ms", fake)
    return fake


@pytest.fixture
def alice() -> Actor:
    return Actor("alice")


@pytest.fixture
def bob() -> Actor:
    return Actor("bob")


@pytest.fixture
def artifacts(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def model_files(artifacts: LocalArtifactStore) -> ArtifactStoreModelFiles:
    return ArtifactStoreModelFiles(artifacts)


@pytest.fixture
def make_run(db: Database) -> Callable[..., str]:
    """``make_run({"auc": 0.9})``: a run in the Default experiment with those latest metrics."""

    def make(metrics: dict[str, float] | None = None) -> str:
        run = runs.create_run(db, "0", "alice")
        if metrics:
            run_data.log_batch(db, run.run_id, metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()])
        return run.run_id

    return make


@pytest.fixture
def run_id(make_run: Callable[..., str]) -> str:
    return make_run({"auc": 0.9})


@pytest.fixture
def make_versions(db: Database, run_id: str, alice: Actor) -> Callable[..., list[int]]:
    """``make_versions(3)``: register that many versions of 'churn' from one run."""

    def make(count: int, name: str = "churn", source_run: str | None = None) -> list[int]:
        source = f"runs:/{source_run or run_id}/model"
        return [registry.register_model(db, source, name, alice).version for _ in range(count)]

    return make


@pytest.fixture
def row_counts(db: Database) -> Callable[[], dict[str, int]]:
    """Rows in every registry table, to show that a refused call wrote nothing."""

    def count() -> dict[str, int]:
        with db.read() as conn:
            return {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one() for t in REGISTRY_TABLES}

    return count
