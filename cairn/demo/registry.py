"""The registry part of ``make demo``: gates, promotion, refusal, a better version, rollback.

``run_registry_demo`` runs after the demo's training runs. It registers the best run's model,
sets a policy whose metric gate that model passes and the weakest run's model fails, promotes
through Staging to Production, shows the gate refusing the weak model, retrains the best
configuration with more boosting rounds (a better version), ships it, rolls back, and shows
``cairn models show`` and ``cairn models timeline``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cairn.demo.commands import show
from cairn.demo.experiment import BEST_METRIC, MODEL_NAME, ranked_runs
from cairn.demo.training import train_one
from cairn.entities import MetricRequirement, ModelStage, Policy, Run, TransitionOutcome
from cairn.errors import Conflict, NotFound

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

ROUND_THRESHOLD = 0.99
MORE_ROUNDS = 2
EVENTS_SHOWN = 8


def run_registry_demo(client: Client, experiment_id: str, console: Console,
                      tracking_uri: str) -> dict[str, int] | None:
    """Returns the version numbers it made (``first``, ``weak``, ``better``); None if skipped.
    ``cairn`` shows the results on the store at ``tracking_uri``."""
    runs = ranked_runs(client, experiment_id)
    if len(runs) < 2:
        console.print("[yellow]Registry demo skipped: it needs at least two runs that logged "
                      f"{BEST_METRIC}.[/]")
        return None
    best, weak = runs[0], runs[-1]
    threshold = pick_threshold(_auc(best), _auc(weak))
    console.print(f"\n[bold]Model registry[/] — model '{MODEL_NAME}'")
    try:
        client.get_registered_model(MODEL_NAME)
    except NotFound:
        client.create_registered_model(MODEL_NAME, description="Gradient boosting on the breast-cancer data set")
    client.set_policy(MODEL_NAME, Policy(
        require_staging_first=True,
        required_metrics=(MetricRequirement(BEST_METRIC, ">=", threshold),),
        gated_stages=(ModelStage.STAGING.value, ModelStage.PRODUCTION.value),
    ), reason="demo: ship only models that clear the validation bar")
    console.print(f"  policy: {BEST_METRIC} >= {threshold:g} to enter Staging or Production; "
                  "Production only after Staging")

    first = _register(client, best, console, "the best run")
    _ship(client, first, console, reason="best validation AUC so far")
    client.set_registered_model_alias(MODEL_NAME, "champion", first, reason="first shipped version")

    weak_version = _register(client, weak, console, "the weakest run")
    try:
        client.promote(MODEL_NAME, weak_version, "Staging", reason="try the weak model")
    except Conflict as refusal:
        console.print(f"  [bold red]✗ gate refused v{weak_version}:[/] {refusal.message}")

    better_run = _retrain_with_more_rounds(client, experiment_id, best, console)
    rounds = better_run.data.params.get("n_estimators")
    better = _register(client, better_run, console, f"a better version (the best configuration, {rounds} rounds)")
    _ship(client, better, console, reason=f"higher {BEST_METRIC} than v{first}")
    client.set_registered_model_alias(MODEL_NAME, "champion", better, reason="new champion")

    outcome = client.rollback_model(MODEL_NAME, reason="demo: simulated regression after shipping")
    console.print(f"  [bold]↩ rollback:[/] v{outcome.model_version.version} is back in Production; "
                  f"v{', v'.join(map(str, outcome.archived_versions))} archived")
    client.set_registered_model_alias(MODEL_NAME, "champion", outcome.model_version.version,
                                      reason="follow the rollback")

    show(console, ["models", "show", MODEL_NAME, "--events", str(EVENTS_SHOWN)], tracking_uri)
    show(console, ["models", "timeline", MODEL_NAME], tracking_uri)
    return {"first": first, "weak": weak_version, "better": better}


def pick_threshold(best: float, weak: float) -> float:
    """A round bar the best model clears and the weak one does not: 0.99 when it separates
    them, else the midpoint rounded down to 4 decimals."""
    if weak < ROUND_THRESHOLD <= best:
        return ROUND_THRESHOLD
    middle = math.floor((best + weak) / 2 * 10_000) / 10_000
    return middle if weak < middle <= best else best


def _auc(run: Run) -> float:
    return run.data.metrics[BEST_METRIC].value


def _register(client: Client, run: Run, console: Console, what: str) -> int:
    version = client.register_model(f"runs:/{run.run_id}/model", MODEL_NAME)
    console.print(f"  registered {what} ({run.info.run_name}, {BEST_METRIC} {_auc(run):.4f}) as v{version.version}")
    return version.version


def _ship(client: Client, version: int, console: Console, reason: str) -> None:
    for stage in (ModelStage.STAGING.value, ModelStage.PRODUCTION.value):
        outcome: TransitionOutcome = client.promote(MODEL_NAME, version, stage, reason=reason)
        replaced = ", ".join(f"v{n}" for n in outcome.archived_versions)
        archived = f" (archived {replaced})" if replaced else ""
        gates = ", ".join(f"{g.name} = {g.observed} ({g.threshold})" if g.name.startswith("metric:") else g.name
                          for g in outcome.gate_results)
        console.print(f"  [green]✓[/] v{version} → {stage}{archived}; gates passed: {gates}")


def _retrain_with_more_rounds(client: Client, experiment_id: str, best: Run, console: Console) -> Run:
    """The best configuration with more boosting rounds: its first rounds are the same trees, so
    its best validation AUC can only match or beat the original's."""
    from cairn.client import fluent

    p = best.data.params
    params = {"learning_rate": float(p["learning_rate"]), "n_estimators": int(p["n_estimators"]) * MORE_ROUNDS,
              "max_depth": int(p["max_depth"])}
    fluent.set_experiment(experiment_id=experiment_id)
    with console.status(f"retraining the best configuration with {params['n_estimators']} rounds"):
        run_id = train_one(params)
    fluent.flush()
    return client.get_run(run_id)
