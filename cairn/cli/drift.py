"""``cairn drift``: how two datasets differ, feature by feature.

Thin like the rest of the CLI: resolves what the user named (a dataset, a run, a model version or
a file), profiles both sides through ``Client``, measures the drift and hands the report to
``emit`` (compact JSON with ``--json``, drawn by ``render.drift`` otherwise).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import ExperimentOption, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render import drift as render


def drift(
    ctx: typer.Context,
    baseline: Annotated[str, typer.Argument(metavar="BASELINE", show_default=False, help=(
        "A dataset (digest, prefix or name), a run (its training dataset), models:/NAME@alias, or a "
        "Parquet/CSV path. Prefix run: or dataset: when a name is ambiguous."))],
    current: Annotated[str, typer.Argument(metavar="CURRENT", show_default=False, help="Same forms as BASELINE.")],
    experiment: ExperimentOption = None,
    psi: Annotated[float, typer.Option("--psi", min=0.0, help="PSI at which a feature counts as drifted.")] = 0.1,
    as_json: JsonOption = False,
) -> None:
    """Compare two datasets feature by feature: PSI and KS (numeric) or chi-square (categorical),
    new and missing columns, null rates; most severe first.

    \b
    Example:
      cairn drift models:/churn@production ./today.parquet
    """
    from cairn.datasets.drift import DriftThresholds, measure_drift

    c = client(ctx)
    base_label, base_profile = c.dataset_profile(lookup.any_ref(c, baseline, experiment, paths=True))
    cur_label, cur_profile = c.dataset_profile(lookup.any_ref(c, current, experiment, paths=True))
    limits = DriftThresholds(psi_moderate=psi, psi_major=max(psi, DriftThresholds().psi_major))
    report = measure_drift(base_profile, cur_profile, limits)
    emit({"baseline": base_label, "current": cur_label, **report.to_dict()}, as_json, render.render_drift)


def register(app: typer.Typer) -> None:
    """Add ``drift`` to the ``cairn`` command."""
    app.command("drift")(drift)
