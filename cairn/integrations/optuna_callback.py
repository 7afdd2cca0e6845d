"""``cairn.optuna``: record an Optuna study as runs — the study a parent run, each trial a child.

    import cairn, optuna

    study = optuna.create_study(direction="minimize")
    with cairn.optuna.callback(experiment="tuning") as cb:
        study.optimize(objective, n_trials=20, callbacks=[cb])
    # leaving `with` (or cb.finish(study)) logs the importances and ends the study's run

    cairn runs list --parent <cb.study_run_id> -o "metrics.value ASC"

The callback itself (``cairn.integrations.optuna.OptunaCallback``) takes a client; this module
hands it the SDK's client, the experiment and the active run (the study's run nests under it). ``cairn.optuna`` (or ``from
cairn import optuna``) is this module, loaded on first use: importing ``cairn`` imports neither
it nor Optuna.
"""

from __future__ import annotations

from cairn.client import fluent
from cairn.client.client import Client
from cairn.errors import AlreadyExists

from .optuna import OptunaCallback

__all__ = ["OptunaCallback", "callback"]


def callback(experiment: str | None = None, *, run_name: str | None = None, client: Client | None = None,
             log_importances: bool = True) -> OptunaCallback:
    """A study callback recording into ``experiment`` (a name, created if needed; default: the
    SDK's current experiment). ``run_name`` names the study's run (default: the study's name).
    Inside an active run, the study's run is its child."""
    c = client if client is not None else fluent._get_client()
    if experiment is None:
        experiment_id = fluent._default_experiment_id()
    else:
        found = c.get_experiment_by_name(experiment)
        if found is None:
            try:
                c.create_experiment(experiment)
            except AlreadyExists:
                pass  # another worker of the same sweep created it a moment ago
            found = c.get_experiment_by_name(experiment)
            assert found is not None
        experiment_id = found.experiment_id
    active = fluent.active_run()
    return OptunaCallback(c, experiment_id, run_name=run_name, parent_run_id=active.run_id if active else None,
                          log_importances=log_importances)
