"""``cairn deployments`` and ``cairn predictions`` through the real console script, against an
embedded store whose prediction log was written with the SDK."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn.client import fluent, tracking_uri
from cairn.tracking import clock
from tests import backends

TERMINAL_COLUMNS = 200
MINUTE = 60_000


@dataclass
class Store:
    uri: str
    home: Path
    run_id: str


def _prediction(pid: str, request: str, minutes_ago: float, version: int, arm: str, output: Any,
                latency: float, *, age: int = 30, error: str | None = None, model: str = "churn",
                now: int = 0) -> dict[str, Any]:
    return {"prediction_id": pid, "request_id": request, "row_index": 0, "timestamp": now - int(minutes_ago * MINUTE),
            "model_name": model, "version": version, "arm": arm, "features": {"age": age, "visits": 3},
            "output": output, "latency_ms": latency, "error": error}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Model 'churn' v1-v3 (v2 in Production) with a prediction log: five requests answered by the
    primary (v2) and mirrored by a shadow (v3) that agrees on four, one canary answer, one primary
    error, and one answer of v1 three days old; outcomes on p1 (1) and p2 (0). Models 'split',
    'abtest' and 'fraud' (v1, v2 in Production) for the commands that change things, and 'draft'
    (one version, nothing in Production)."""
    home = tmp_path_factory.mktemp("cli-deployments")
    with backends.embedded_store(home / "store") as uri:
        yield from _populate(uri, home)


def _populate(uri: str, home: Path) -> Iterator[Store]:
    client = cairn.Client(tracking_uri=uri)
    run = client.create_run("0", run_name="train")
    client.log_text(run.run_id, "weights", "model/model.pkl")
    for name, count, production in (("churn", 3, 2), ("split", 3, 1), ("abtest", 2, 1), ("fraud", 2, 2),
                                    ("draft", 1, None)):
        for _ in range(count):
            client.register_model(f"runs:/{run.run_id}/model", name)
        if production is not None:
            client.promote(name, production, "Production")
    now = clock.now_ms()
    records = []
    for i in range(5):
        records.append(_prediction(f"p{i}", f"r{i}", 10, 2, "primary", i % 2, 10.0 + i, age=30 + 5 * i, now=now))
        records.append(_prediction(f"s{i}", f"r{i}", 10, 3, "shadow", i % 2 if i else 1, 20.0 + i, age=30 + 5 * i,
                                   now=now))
    records.append(_prediction("c0", "r5", 5, 3, "canary", 1, 12.0, now=now))
    records.append(_prediction("e0", "r6", 3, 2, "primary", None, 5.0, error="bad input", now=now))
    records.append(_prediction("old", "r7", 3 * 24 * 60, 1, "primary", 0, 8.0, now=now))
    records += [_prediction(f"f{i}", f"q{i}", 1, 2, "primary", 0, 3.0, model="fraud", now=now) for i in range(2)]
    assert client.log_predictions(records) == len(records)
    client.log_outcome("p1", 1.0)
    client.log_outcome("p2", 0.0)
    yield Store(uri, home, run.run_id)
    client.close()
    tracking_uri.close_all()


@pytest.fixture
def cli(store: Store, in_process: Callable[[str, Path, int], Any]) -> Any:
    return in_process(store.uri, store.home, TERMINAL_COLUMNS)


def test_console_script_runs_the_deployment_commands(store: Store, make_cli: Callable[[str, Path, int], Any]) -> None:
    script = make_cli(store.uri, store.home, TERMINAL_COLUMNS)
    shown = script("deployments", "show", "churn", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["deployment"]["model_name"] == "churn"


def _error(result: Any, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    if code == 1:
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    return result.stderr


def test_set_canary_and_shadow_prints_the_arms_and_show_reads_them_back(cli: Any, store: Store) -> None:
    human = cli("deployments", "set", "split", "--canary", "3", "--percent", "10", "--shadow", "2",
                "--reason", "try v3", "--user", "carol")
    assert human.returncode == 0, human.stderr
    assert "split: primary Production, canary v3 10%, shadow v2" in human.stdout
    assert re.search(r"^primary\s+v1 \(Production\)\s+90%", human.stdout, re.MULTILINE)
    assert re.search(r"^canary\s+v3\s+10%", human.stdout, re.MULTILINE)
    assert re.search(r"^shadow\s+v2\s+copy of 100%", human.stdout, re.MULTILINE)
    assert "Serving processes pick this up within seconds." in human.stdout
    doc = cli("deployments", "show", "split", "--json").json()
    config = doc["deployment"]
    assert (config["canary_version"], config["canary_percent"], config["shadow_version"]) == (3, 10.0, 2)
    assert (config["revision"], config["updated_by"]) == (1, "carol")
    assert doc["plan"]["primary_version"] == 1 and doc["plan_error"] is None
    assert [(a["arm"], a["version"], a["traffic_percent"], a["copy"]) for a in doc["arms"]] == [
        ("primary", 1, 90.0, False), ("canary", 3, 10.0, False), ("shadow", 2, 100.0, True)]
    assert "applied" not in doc


def test_canary_and_ab_test_together_are_refused_in_one_line(cli: Any) -> None:
    assert cli("deployments", "set", "abtest", "--canary", "2", "--percent", "5").returncode == 0
    err = _error(cli("deployments", "set", "abtest", "--ab", "2", "--key", "user_id"))
    assert "a canary or an A/B test, not both" in err
    both = cli("deployments", "set", "abtest", "--remove", "canary", "--canary", "2", "--percent", "5",
               "--ab", "2", "--key", "user_id")
    assert "not both" in _error(both)


def test_ab_test_splits_the_primary_by_key(cli: Any) -> None:
    doc = cli("deployments", "set", "abtest", "--clear", "--ab", "2", "--split", "30", "--key", "user_id",
              "--json").json()
    assert doc["applied"] and doc["summary"] == "primary Production, A/B v2 30% by user_id"
    assert [(a["arm"], a["version"], a["traffic_percent"], a["key"]) for a in doc["arms"]] == [
        ("a", 1, 70.0, "user_id"), ("b", 2, 30.0, "user_id")]


BAD_SETTINGS = [
    (("--canary", "2", "--percent", "150"), "must be above 0 and below 100, got 150.0"),
    (("--canary", "2"), "Give the canary percent (--percent)"),
    (("--ab", "2"), "needs the request key"),
    (("--shadow", "9"), "9"),
    (("--remove", "everything"), "Cannot remove 'everything'"),
    ((), "Nothing to change"),
]
UNKNOWN_MODEL = [("deployments", "set", "nope", "--shadow", "1"), ("deployments", "show", "nope"),
                 ("deployments", "compare", "nope"), ("predictions", "list", "nope")]


def test_bad_settings_and_unknown_models_are_one_line_errors(cli: Any) -> None:
    cli.prefetch([("deployments", "set", "fraud", *args) for args, _ in BAD_SETTINGS] + UNKNOWN_MODEL
                 + [("deployments", "set", "fraud", "--canary", "2", "--percent", "ten")])
    for args, message in BAD_SETTINGS:
        assert message in _error(cli("deployments", "set", "fraud", *args)), args
    for args in UNKNOWN_MODEL:
        assert "Registered Model with name=nope not found" in _error(cli(*args)), args
    assert "--percent" in _error(cli("deployments", "set", "fraud", "--canary", "2", "--percent", "ten"), code=2)


def test_show_without_a_production_version_explains_instead_of_failing(cli: Any) -> None:
    cli.prefetch([("deployments", "show", "draft", "--json"), ("deployments", "show", "draft")])
    doc = cli("deployments", "show", "draft", "--json").json()
    assert doc["plan"] is None and "no version in stage Production" in doc["plan_error"]
    assert doc["deployment"]["revision"] == 0
    human = cli("deployments", "show", "draft").stdout
    assert "never configured" in human and "Cannot serve now: Model 'draft' has no version in stage Production" in human


def test_compare_counts_each_arm_and_measures_shadow_agreement(cli: Any) -> None:
    cli.prefetch([("deployments", "compare", "churn", "--json"), ("deployments", "compare", "churn"),
                  ("deployments", "compare", "churn", "--since", "1d", "--json")])
    doc = cli("deployments", "compare", "churn", "--json").json()
    arms = {a["arm"]: a for a in doc["arms"]}
    assert [a["arm"] for a in doc["arms"]] == ["primary", "canary", "shadow"] and doc["rows_read"] == 13
    primary = arms["primary"]
    assert (primary["versions"], primary["predictions"], primary["errors"]) == ([1, 2], 7, 1)
    assert (primary["outcomes"], primary["outcome_mean"]) == (2, 0.5)
    assert primary["output_mean"] == pytest.approx(2 / 6)
    assert (arms["shadow"]["versions"], arms["shadow"]["predictions"], arms["shadow"]["output_mean"]) == ([3], 5, 0.6)
    assert arms["shadow"]["latency_p50_ms"] == 22.0
    assert doc["agreement"] == [{"arm": "shadow", "against": "primary", "pairs": 5, "agreed": 4, "rate": 0.8}]
    assert doc["notes"][0] == "shadow vs primary: 80.0% agreement over 5 rows"
    assert "canary vs primary" in doc["notes"][1] and "agreement needs a shadow" in doc["notes"][1]
    human = cli("deployments", "compare", "churn").stdout
    assert re.search(r"^primary\s+v1, v2\s+7\s+1\s+11\.0\s", human, re.MULTILINE)
    assert "shadow vs primary: 80.0% agreement over 5 rows" in human
    recent = cli("deployments", "compare", "churn", "--since", "1d", "--json").json()
    assert recent["rows_read"] == 12 and recent["arms"][0]["versions"] == [2]


def test_times_that_cannot_be_read_are_one_line_errors(cli: Any) -> None:
    cli.prefetch([("deployments", "compare", "churn", "--since", "yesterday"),
                  ("predictions", "list", "churn", "--since", "1h", "--until", "2h")])
    assert "--since 'yesterday' is not a time" in _error(cli("deployments", "compare", "churn", "--since", "yesterday"))
    assert "earlier than --until" in _error(cli("predictions", "list", "churn", "--since", "1h", "--until", "2h"))


def test_list_filters_by_time_arm_version_and_features(cli: Any) -> None:
    calls = {
        "all": ("predictions", "list", "churn", "--json"),
        "recent": ("predictions", "list", "churn", "--since", "1h", "--json"),
        "shadow": ("predictions", "list", "churn", "--arm", "shadow", "--json"),
        "v1": ("predictions", "list", "churn", "--version", "1", "--json"),
        "filter": ("predictions", "list", "churn", "--filter", "features.age > 35 and output = 1", "--json"),
        "two": ("predictions", "list", "churn", "--max-results", "2", "--json"),
        "window": ("predictions", "list", "churn", "--since", "2000-01-01", "--until", "2d", "--json"),
    }
    cli.prefetch(list(calls.values()) + [("predictions", "list", "churn")])

    def ids(key: str) -> list[str]:
        return [p["prediction_id"] for p in cli(*calls[key]).json()["predictions"]]

    assert ids("all")[:2] == ["e0", "c0"] and ids("all")[-1] == "old" and len(ids("all")) == 13
    assert "old" not in ids("recent") and len(ids("recent")) == 12
    assert sorted(ids("shadow")) == ["s0", "s1", "s2", "s3", "s4"]
    assert ids("v1") == ["old"]
    assert sorted(ids("filter")) == ["p3", "s3"]
    assert ids("two") == ["e0", "c0"] and cli(*calls["two"]).json()["has_more"] is True
    assert ids("window") == ["old"]
    human = cli("predictions", "list", "churn").stdout
    assert re.search(r"^\S+ \S+\s+e0\s+v2\s+primary\s+error: bad input\s+5\.0 ms", human, re.MULTILINE)
    assert re.search(r"^\S+ \S+\s+p1\s+v2\s+primary\s+1\s+11\.0 ms\s+1\s*$", human, re.MULTILINE)


def test_show_names_the_version_its_run_and_the_features(cli: Any, store: Store) -> None:
    cli.prefetch([("predictions", "show", "p1", "--json"), ("predictions", "show", "p1"),
                  ("predictions", "show", "nope")])
    p = cli("predictions", "show", "p1", "--json").json()["prediction"]
    assert (p["model_name"], p["version"], p["arm"], p["run_id"]) == ("churn", 2, "primary", store.run_id)
    assert (p["features"], p["output"], p["outcome"], p["latency_ms"], p["error"]) == (
        {"age": 35, "visits": 3}, 1, 1.0, 11.0, None)
    human = cli("predictions", "show", "p1").stdout
    for fact in ("churn v2", store.run_id, "11.0 ms", "r1 row 0"):
        assert fact in human
    assert re.search(r"^age\s+35\s*$", human, re.MULTILINE)
    assert "No prediction with id 'nope'" in _error(cli("predictions", "show", "nope"))


def test_outcome_is_joined_to_the_prediction_and_bad_values_are_refused(cli: Any) -> None:
    logged = cli("predictions", "outcome", "f0", "1", "--user", "dave")
    assert logged.returncode == 0 and "Logged outcome 1 for prediction f0" in logged.stdout
    cli.prefetch([("predictions", "show", "f0", "--json"), ("predictions", "outcome", "f0", "nan"),
                  ("predictions", "outcome", "zzz", "1"), ("predictions", "outcome", "f0", "yes")])
    assert cli("predictions", "show", "f0", "--json").json()["prediction"]["outcome"] == 1.0
    assert "finite number" in _error(cli("predictions", "outcome", "f0", "nan"))
    assert "No prediction with id 'zzz'" in _error(cli("predictions", "outcome", "zzz", "1"))
    assert _error(cli("predictions", "outcome", "f0", "yes"), code=2)


def test_fluent_log_outcome_joins_to_the_prediction(store: Store) -> None:
    fluent.set_tracking_uri(store.uri)
    try:
        cairn.log_outcome("f1", 0.25)
        assert cairn.Client().get_prediction("f1").outcome == 0.25
        with pytest.raises(cairn.NotFound):
            cairn.log_outcome("missing", 1.0)
    finally:
        fluent.set_tracking_uri(None)


def test_every_command_has_help_with_an_example(cli: Any) -> None:
    commands = [("deployments", c) for c in ("set", "show", "compare")] + [
        ("predictions", c) for c in ("show", "list", "outcome")]
    cli.prefetch([(*c, "--help") for c in commands])
    for command in commands:
        result = cli(*command, "--help")
        assert result.returncode == 0 and "Example:" in result.stdout, command
