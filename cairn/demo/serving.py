"""The serving part of ``make demo``: benchmark the candidate, serve Production, canary and
shadow traffic, compare the arms with the policy's evidence gates, ship the canary on that
evidence with the model owner's sign-off, explain one of its predictions (the version, arm, traffic
rule and the gates it passed), roll back, and show that the next predictions carry the previous version.

Runs after the registry demo, against a real ``cairn serve`` process on a free 127.0.0.1 port
over the demo's store. Requests are rows of the validation set; each prediction's outcome
(1 when it matched the true label) is logged back, so ``deployments compare`` shows accuracy
per arm next to agreement and latency.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cairn.demo.commands import cairn_command, show
from cairn.entities import ModelStage

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

REQUESTS = 300
CANARY_PERCENT = 20
STARTUP_TIMEOUT_S = 60
LATENCY_BUDGET = "200ms"  # generous: the demo shares its machine with whatever else runs
BENCHMARK_ROWS = "50"
MIN_CANARY_REQUESTS = 20
MAX_CANARY_ERROR_INCREASE = 0.02
MAX_OUTCOME_DROP = 0.2  # about 60 canary outcomes: a bar chance alone does not trip
OWNER = "model-owner"


def run_serving_demo(client: Client, model_name: str, rows: Any, labels: Sequence[int], canary: int,
                     shadow: int, console: Console, tracking_uri: str) -> None:
    """Serve ``model_name`` with ``canary`` taking a share and ``shadow`` mirrored; ``rows`` and
    ``labels`` are the requests and their true answers."""
    import httpx

    production = client.resolve_model_version(f"{model_name}/Production").version
    _evidence_policy(client, model_name, canary, console, tracking_uri)
    client.set_deployment(model_name, clear=True, canary_version=canary, canary_percent=CANARY_PERCENT,
                          shadow_version=shadow, reason="demo: try the retrained model on live traffic")
    console.print(f"  deployment: primary v{production} (Production), canary v{canary} takes "
                  f"{CANARY_PERCENT}%, shadow v{shadow} gets a copy of every request")
    with _serving(model_name, tracking_uri, console) as url, httpx.Client(base_url=url, timeout=30) as http:
        _wait_for_revision(http, client.get_deployment(model_name).revision)
        started = time.perf_counter()
        answered: dict[str, int] = {}
        for n in range(REQUESTS):
            row = rows[n % len(rows)]
            body = http.post("/invocations", json={"inputs": [list(map(float, row))]}).json()
            answered[body["prediction_ids"][0]] = int(body["predictions"][0] == labels[n % len(labels)])
        elapsed = time.perf_counter() - started
        console.print(f"  sent {REQUESTS} single-row requests in {elapsed:.1f} s "
                      f"({REQUESTS / elapsed:.0f}/s, client and server on this machine)")
        for prediction_id, correct in answered.items():
            _log_outcome(client, prediction_id, correct)
        console.print("  logged each prediction's outcome (1 = matched the true label) with cairn.log_outcome")
        show(console, ["deployments", "compare", model_name], tracking_uri)

        _promote_on_evidence(client, model_name, canary, console)
        cleared = client.set_deployment(model_name, clear=True, reason="demo: the canary did well; ship it")
        started = time.monotonic()
        _wait_for_revision(http, cleared.revision)  # until then the canary arm may still answer as v{canary}
        _wait_for_version(http, rows[0], str(canary))
        shipped = time.monotonic() - started
        console.print(f"  [green]✓[/] v{canary} in Production: the server switched in "
                      f"{shipped * 1000:.0f} ms, no restart")
        served_by_canary = http.post("/invocations", json={"inputs": [list(map(float, rows[2]))]}).json()
        _wait_for_log(client, served_by_canary["prediction_ids"][0])
        console.print(f"  why did v{canary} answer that request, and who let it serve?")
        show(console, ["predictions", "explain", served_by_canary["prediction_ids"][0]], tracking_uri)
        client.rollback_model(model_name, reason="demo: roll back to the previous version")
        back = _wait_for_version(http, rows[0], str(production))
        response = http.post("/invocations", json={"inputs": [list(map(float, rows[1]))]})
        body = response.json()
        console.print(f"  [bold]↩ rollback:[/] {back * 1000:.0f} ms later the next prediction carries "
                      f"v{body['model_version']} (header X-Cairn-Model-Version: "
                      f"{response.headers['X-Cairn-Model-Version']})")
        _wait_for_log(client, body["prediction_ids"][0])
        show(console, ["predictions", "show", body["prediction_ids"][0]], tracking_uri)


def _evidence_policy(client: Client, model_name: str, candidate: int, console: Console,
                     tracking_uri: str) -> None:
    """State the candidate's latency budget, benchmark it as `cairn serve` loads it, and add the
    evidence gates and the owner's sign-off to the model's policy."""
    import dataclasses

    show(console, ["models", "requirements", model_name, str(candidate), "--latency-p99", LATENCY_BUDGET,
                   "--max-batch", "64", "--cpu", "--memory", "1GiB"], tracking_uri)
    show(console, ["models", "benchmark", model_name, str(candidate), "--rows", BENCHMARK_ROWS], tracking_uri)
    client.set_policy(model_name, dataclasses.replace(
        client.get_policy(model_name), latency_within_budget=True,
        max_canary_error_increase=MAX_CANARY_ERROR_INCREASE, min_canary_requests=MIN_CANARY_REQUESTS,
        max_outcome_drop=MAX_OUTCOME_DROP, min_outcomes=MIN_CANARY_REQUESTS, require_signoff=True,
    ), reason="demo: promote on serving evidence, Production after the owner signs off")
    console.print(f"  policy: benchmark p99 within the version's budget, canary errors <= primary's + "
                  f"{MAX_CANARY_ERROR_INCREASE:.0%} and outcomes at most {MAX_OUTCOME_DROP:g} below the primary's "
                  f"(over >= {MIN_CANARY_REQUESTS} requests), Production signed off by the model owner")


def _promote_on_evidence(client: Client, model_name: str, candidate: int, console: Console) -> None:
    staged = client.promote(model_name, candidate, ModelStage.STAGING.value, reason="demo: canary evidence passed")
    evidence = ", ".join(f"{g.name} ({g.observed})" for g in staged.gate_results if g.evidence)
    console.print(f"  [green]✓[/] v{candidate} → Staging on evidence: {evidence}")
    asked = client.promote(model_name, candidate, ModelStage.PRODUCTION.value, reason="demo: canary evidence passed")
    if not asked.applied:
        console.print(f"  v{candidate} → Production waits for sign-off (request #{asked.request.request_id}); "
                      f"the gates are checked again when {OWNER} approves")
        client.approve_transition(model_name, candidate, comment="evidence reviewed", user=OWNER)
        console.print(f"  [green]✓[/] {OWNER} signed off: v{candidate} → Production")


@contextmanager
def _serving(model_name: str, tracking_uri: str, console: Console) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, CAIRN_TRACKING_URI=tracking_uri)
    console.print(f"\n[bold]$ cairn serve {model_name} --port {port}[/]")
    process = subprocess.Popen(cairn_command("serve", model_name, "--port", str(port)),
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"cairn serve exited: {stderr.strip()[-500:]}")
        try:
            if httpx.get(url + "/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"cairn serve did not answer on {url} within {STARTUP_TIMEOUT_S} s")


def _wait_for_revision(http: Any, revision: int) -> None:
    _until(lambda: http.get("/metadata").json()["revision"] >= revision)


def _wait_for_version(http: Any, row: Any, version: str) -> float:
    started = time.monotonic()
    _until(lambda: http.post("/invocations", json={"inputs": [list(map(float, row))]}).json()["model_version"]
           == version)
    return time.monotonic() - started


def _wait_for_log(client: Client, prediction_id: str) -> None:
    from cairn.errors import NotFound

    def logged() -> bool:
        try:
            client.get_prediction(prediction_id)
            return True
        except NotFound:
            return False

    _until(logged)


def _log_outcome(client: Client, prediction_id: str, value: float) -> None:
    _wait_for_log(client, prediction_id)
    client.log_outcome(prediction_id, value)


def _until(condition: Any, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the serving process did not catch up in time")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
