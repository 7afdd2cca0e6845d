"""``cairn models`` and ``cairn webhooks``: the registry from a terminal, run in-process against
an embedded store written with the SDK."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn import cli
from cairn.client import tracking_uri
from cairn.entities import Dataset, DatasetInput
from cairn.tracking import clock as tracking_clock
from tests import backends

T0 = 1_700_000_000_000
CAPTURE_TAGS = {
    "mlflow.source.git.commit": "9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3",
    "mlflow.source.git.branch": "main",
    "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
    "cairn.git.dirty": "false",
    "cairn.python.version": "3.11.9",
    "cairn.seed": "42",
    "cairn.seed.libraries": "random,numpy",
}


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@dataclass
class Store:
    uri: str
    good_run: str
    weak_run: str


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The registry's clock: one second passes per reading, so every event has its own time."""
    ticks = [T0]

    def tick() -> int:
        ticks[0] += 1000
        return ticks[0]

    monkeypatch.setattr(tracking_clock, "now_ms", tick)
    return ticks


@pytest.fixture
def store(tmp_path: Path, now: list[int]) -> Iterator[Store]:
    with backends.embedded_store(tmp_path / "store") as uri:
        yield from _populate(uri)


def _populate(uri: str) -> Iterator[Store]:
    client = cairn.Client(tracking_uri=uri)
    good = client.create_run("0", run_name="good", start_time=T0 - 60_000)
    client.log_params(good.run_id, {"lr": 0.1, "depth": 3})
    client.log_metric(good.run_id, "auc", 0.93, synchronous=True)
    client.set_tags(good.run_id, CAPTURE_TAGS)
    client.log_inputs(good.run_id, [DatasetInput(Dataset("churn-2024", "abc123", "local", "data/churn.csv"),
                                                 {"mlflow.data.context": "training"})])
    client.log_text(good.run_id, "pickled", "model/model.pkl")
    client.set_terminated(good.run_id, end_time=T0 - 1000)
    weak = client.create_run("0", run_name="weak")
    client.log_metric(weak.run_id, "auc", 0.61, synchronous=True)
    client.log_text(weak.run_id, "pickled", "model/model.pkl")
    yield Store(uri, good.run_id, weak.run_id)
    client.close()
    tracking_uri.close_all()


@pytest.fixture
def cairn_cli(store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("CAIRN_USER", "alice")

    def run(*args: str) -> Result:
        code = cli.main(["--tracking-uri", store.uri, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def _error(result: Result) -> str:
    assert result.code == 1, result.err
    assert result.out == "" and len(result.err.splitlines()) == 1 and result.err.startswith("Error: ")
    return result.err


def _shipped(cairn_cli, store: Store, count: int = 2) -> None:
    for _ in range(count):
        assert cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn").code == 0
    for version in range(1, count + 1):
        assert cairn_cli("models", "promote", "churn", str(version), "--to", "Production").code == 0


def test_promote_json_reports_the_gates_and_the_archived_version(cairn_cli, store):
    _shipped(cairn_cli, store, 1)
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    assert cairn_cli("models", "policy", "churn", "-m", "auc >= 0.9", "--json").json()["scope"] == "model"
    doc = cairn_cli("models", "promote", "churn", "2", "--to", "production", "--reason", "better", "--json").json()
    assert doc["applied"] and doc["model_version"]["stage"] == "Production"
    assert doc["archived_versions"] == [1]
    assert doc["gate_results"] == [{"name": "metric:auc", "passed": True, "observed": "0.93", "threshold": ">= 0.9",
                                    "hint": ""}]


def test_a_failed_gate_is_one_error_line_naming_the_gate(cairn_cli, store):
    cairn_cli("models", "register", f"runs:/{store.weak_run}/model", "churn")
    cairn_cli("models", "policy", "churn", "--require-metric", "auc >= 0.8")
    err = _error(cairn_cli("models", "promote", "churn", "1", "--to", "Production"))
    assert "metric:auc: observed 0.61, required >= 0.8" in err
    assert cairn_cli("models", "versions", "churn", "--json").json()["versions"][0]["stage"] == "None"


def test_signoff_is_refused_to_the_requester_and_applied_by_another_user(cairn_cli, store):
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    cairn_cli("models", "policy", "churn", "--require-signoff")
    pending = cairn_cli("models", "promote", "churn", "1", "--to", "Production")
    assert pending.code == 0 and "Sign-off requested: request #1" in pending.out
    assert [r["requested_by"] for r in cairn_cli("models", "requests", "--json").json()["requests"]] == ["alice"]
    assert "cannot sign it off" in _error(cairn_cli("models", "approve", "churn", "1"))
    doc = cairn_cli("models", "approve", "churn", "1", "--user", "bob", "-c", "looks good", "--json").json()
    assert doc["model_version"]["stage"] == "Production"
    assert doc["gate_results"][-1]["observed"] == "approved by bob"
    assert cairn_cli("models", "requests", "churn", "--json").json()["requests"] == []


def test_rollback_needs_a_reason_and_refuses_cleanly_with_nothing_to_roll_back_to(cairn_cli, store):
    _shipped(cairn_cli, store, 1)
    missing_reason = cairn_cli("models", "rollback", "churn")
    assert missing_reason.code == 2 and "--reason" in missing_reason.err
    assert "Nothing to roll back to" in _error(cairn_cli("models", "rollback", "churn", "--reason", "oops"))
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    cairn_cli("models", "promote", "churn", "2", "--to", "Production")
    doc = cairn_cli("models", "rollback", "churn", "-r", "latency", "--json").json()
    assert (doc["model_version"]["version"], doc["archived_versions"]) == (1, [2])


def test_timeline_at_a_time_names_the_version_that_was_in_production(cairn_cli, store):
    _shipped(cairn_cli, store, 2)
    cairn_cli("models", "rollback", "churn", "--reason", "errors up")
    intervals = cairn_cli("models", "timeline", "churn", "--json").json()["intervals"]
    assert [(i["version"], i["end"] is None) for i in intervals] == [(1, False), (2, False), (1, True)]
    second = intervals[1]
    iso = datetime.fromtimestamp(second["start"] / 1000, tz=timezone.utc).isoformat()
    assert cairn_cli("models", "timeline", "churn", "--at", iso, "--json").json()["at"]["production"]["version"] == 2
    before = cairn_cli("models", "timeline", "churn", "--at", str(intervals[0]["start"] - 1), "--json").json()
    assert before["at"]["production"] is None
    table = cairn_cli("models", "timeline", "churn", "--at", str(second["start"])).out
    assert re.search(r"^Production\s+v2\s", table, re.MULTILINE)
    assert re.search(r"^v1\s+█+·+█+$", table, re.MULTILINE)
    assert re.search(r"^v2\s+·*█+·+$", table, re.MULTILINE)
    assert "v2 was in Production" in table
    assert cairn_cli("models", "timeline", "churn", "--at", "next tuesday").code == 2


def test_show_answers_when_it_was_trained_and_shipped_and_what_went_into_it(cairn_cli, store):
    _shipped(cairn_cli, store, 1)
    cairn_cli("models", "alias", "churn", "champion", "1")
    doc = cairn_cli("models", "show", "churn@champion", "--json").json()
    assert doc["version"]["version"] == 1 and doc["version"]["aliases"] == ["champion"]
    assert doc["trained"]["run_id"] == store.good_run and doc["trained"]["end_time"] == T0 - 1000
    assert doc["shipped"]["in_production"] and doc["shipped"]["by"] == "alice"
    assert doc["params"] == {"depth": "3", "lr": "0.1"} and doc["metrics"] == {"auc": 0.93}
    assert doc["seeds"]["seed"] == 42
    assert (doc["code"]["commit"], doc["code"]["branch"], doc["code"]["dirty"]) == (
        CAPTURE_TAGS["mlflow.source.git.commit"], "main", False)
    assert doc["datasets"] == [{"name": "churn-2024", "digest": "abc123", "source_type": "local",
                                "source": "data/churn.csv", "context": "training"}]
    assert doc["artifacts"]["files"] == [{"path": "model.pkl", "size": 7}]
    assert [e["action"] for e in doc["events"]][:2] == ["alias_set", "promote"]
    human = cairn_cli("models", "show", "churn/1").out
    for fact in ("churn v1", "in Production since", "alice (unverified)", "churn-2024", "model.pkl", "9f1c2ab3"):
        assert fact in human


def test_show_says_when_a_versions_files_are_outside_the_store(cairn_cli, store):
    assert cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn").code == 0
    assert cairn_cli("models", "register", "s3://bucket/models/churn", "churn").code == 0
    assert cairn_cli("models", "show", "churn/1", "--json").json()["external"] is False
    doc = cairn_cli("models", "show", "churn/2", "--json").json()
    assert (doc["external"], doc["version"]["source"], doc["artifacts"]["count"]) == (
        True, "s3://bucket/models/churn", 0)
    assert "external: outside Cairn's artifact store" in cairn_cli("models", "show", "churn/2").out


@pytest.mark.parametrize("ref, version", [("churn", 1), ("churn/2", 2), ("churn/Production", 1),
                                          ("churn/latest", 2), ("models:/churn@champion", 2)])
def test_show_accepts_every_way_of_naming_a_version(cairn_cli, store, ref, version):
    _shipped(cairn_cli, store, 1)
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    cairn_cli("models", "alias", "churn", "champion", "2")
    assert cairn_cli("models", "show", ref, "--json").json()["version"]["version"] == version


def test_audit_lists_events_oldest_first_and_limit_keeps_the_last(cairn_cli, store):
    _shipped(cairn_cli, store, 2)
    events = cairn_cli("models", "audit", "churn", "--json").json()["events"]
    assert [e["action"] for e in events] == ["model_created", "version_created", "version_created", "promote",
                                             "archive", "promote"]
    assert events[3]["details"] == {"skipped_staging": True}
    last = cairn_cli("models", "audit", "churn", "--limit", "2", "--json").json()["events"]
    assert [e["event_id"] for e in last] == [e["event_id"] for e in events[-2:]]
    assert "skipped Staging" in cairn_cli("models", "audit", "churn").out


def test_policy_is_shown_changed_and_cleared(cairn_cli, store):
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    assert cairn_cli("models", "policy", "churn", "--json").json()["scope"] == "built-in"
    doc = cairn_cli("models", "policy", "churn", "--require-staging", "--min-staging", "2h",
                    "--forbid-direct-production", "--json").json()
    policy = doc["policy"]
    assert (policy["require_staging_first"], policy["min_staging_ms"], policy["allow_direct_to_production"]) == (
        True, 7_200_000, False)
    assert "forbidden" in cairn_cli("models", "policy", "churn").out
    assert cairn_cli("models", "policy", "churn", "--clear", "--json").json()["scope"] == "built-in"
    assert cairn_cli("models", "policy", "--default", "-m", "auc > 0.5", "--json").json()["scope"] == "server default"
    assert cairn_cli("models", "policy", "churn", "--json").json()["scope"] == "server default"
    assert cairn_cli("models", "policy", "churn", "--default").code == 2


def test_list_versions_and_alias_commands(cairn_cli, store):
    _shipped(cairn_cli, store, 2)
    assert cairn_cli("models", "alias", "churn", "champion", "2", "--json").json()["aliases"] == ["champion"]
    models = cairn_cli("models", "list", "--json").json()["models"]
    assert [(m["name"], m["latest_version"], m["production_version"], m["aliases"]) for m in models] == [
        ("churn", 2, 2, {"champion": 2})]
    versions = cairn_cli("models", "versions", "churn").out
    assert re.search(r"^v1\s+Archived\s", versions, re.MULTILINE)
    assert re.search(r"^v2\s+Production\s+@champion", versions, re.MULTILINE)
    assert cairn_cli("models", "alias", "churn", "champion", "--delete", "--json").json()["deleted"]
    assert cairn_cli("models", "alias", "churn", "champion").code == 2


@pytest.mark.parametrize("args, message", [
    (("models", "show", "nope"), "Registered Model with name=nope not found"),
    (("models", "promote", "churn", "9", "--to", "Staging"), "Model Version (name=churn, version=9) not found"),
    (("models", "promote", "churn", "1", "--to", "Shipping"), "Invalid model version stage"),
    (("models", "alias", "churn", "champion", "7"), "version=7) not found"),
    (("models", "register", "/etc/passwd", "churn"), "is a path on the server's disk"),
    (("models", "timeline", "nope"), "not found"),
])
def test_bad_input_is_one_error_line_with_exit_1(cairn_cli, store, args, message):
    cairn_cli("models", "register", f"runs:/{store.good_run}/model", "churn")
    assert message in _error(cairn_cli(*args))


def test_a_version_that_is_not_a_number_is_a_usage_error(cairn_cli, store):
    result = cairn_cli("models", "promote", "churn", "one", "--to", "Staging")
    assert result.code == 2 and result.out == ""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()
    thread.join()


def test_webhooks_add_test_log_and_remove(cairn_cli, store, receiver):
    url, bodies = receiver
    assert "non-public address 127.0.0.1" in _error(cairn_cli("webhooks", "add", url))
    added = cairn_cli("webhooks", "add", url, "--allow-private", "-e", "webhook.test", "--json")
    assert added.code == 1 and "Unknown webhook event" in added.err
    doc = cairn_cli("webhooks", "add", url, "--allow-private", "-e", "model_version.created",
                    "--secret", "0123456789abcdef", "--json").json()
    webhook_id = doc["webhook"]["webhook_id"]
    assert doc["secret"] == "0123456789abcdef"
    assert [w["url"] for w in cairn_cli("webhooks", "list", "--json").json()["webhooks"]] == [url]
    (ping,) = cairn_cli("webhooks", "test", webhook_id, "--json").json()["deliveries"]
    assert (ping["status"], ping["status_code"], json.loads(bodies[0])["event"]) == ("DELIVERED", 204, "webhook.test")
    assert "DELIVERED" in cairn_cli("webhooks", "log", webhook_id).out
    assert cairn_cli("webhooks", "remove", webhook_id, "--json").json()["removed"]
    assert "No webhook with id" in _error(cairn_cli("webhooks", "test", webhook_id))


def test_gc_deletes_expired_archived_files_and_dry_run_only_lists_them(cairn_cli, store, now):
    for run_id in (store.weak_run, store.good_run):
        cairn_cli("models", "register", f"runs:/{run_id}/model", "churn")
    for version in ("1", "2"):
        assert cairn_cli("models", "promote", "churn", version, "--to", "Production").code == 0
    assert cairn_cli("models", "gc", "--json").json() == {"dry_run": False, "versions": []}
    now[0] += 31 * 86_400_000
    dry = cairn_cli("models", "gc", "--dry-run", "--json").json()
    assert [(c["model_name"], c["version"], c["kept_reason"]) for c in dry["versions"]] == [("churn", 1, None)]
    deleted = cairn_cli("models", "gc")
    assert deleted.code == 0 and "churn" in deleted.out and "deleted" in deleted.out
    assert cairn_cli("models", "gc", "--json").json()["versions"] == []
    assert "version 1's artifacts were deleted on" in _error(cairn_cli("models", "rollback", "churn", "-r", "bad"))
