"""``cairn predictions``: what each served prediction was made from, and the outcomes joined back.

Thin like the rest of the CLI: each command parses, calls ``Client`` (``get_prediction``,
``search_predictions``, ``log_outcome``) and hands one document to ``emit`` (compact JSON with
``--json``, drawn by ``render.predictions`` otherwise). Outcomes are recorded under ``--user``,
else ``CAIRN_USER``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import (
    CONTEXT_SETTINGS,
    JsonOption,
    NameArgument,
    SinceOption,
    UntilOption,
    UserOption,
    time_window,
)
from cairn.cli.output import client, emit
from cairn.cli.render import predictions as render

predictions_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="The prediction log: every served prediction with its version, arm, features and output, and the "
         "outcomes joined back.\n\n\b\nExample:\n  cairn predictions list churn --since 1h --arm canary",
)

MAX_LISTED = 10_000
PredictionArgument = Annotated[str, typer.Argument(
    metavar="ID", help="Prediction id, as the serving response gave it.", show_default=False)]


@predictions_app.command("show")
def show_prediction(ctx: typer.Context, prediction_id: PredictionArgument, as_json: JsonOption = False) -> None:
    """Show one served prediction: version, arm, source run, time, latency, features, output, outcome.

    \b
    Example:
      cairn predictions show 01HZX3K9Q4V2M8N6T5R7W1Y0AB
    """
    emit({"prediction": client(ctx).get_prediction(prediction_id).to_dict()}, as_json, render.render_prediction)


@predictions_app.command("explain")
def explain_prediction(ctx: typer.Context, prediction_id: PredictionArgument, as_json: JsonOption = False) -> None:
    """Why this prediction: the version and its source run, the arm and the traffic rule that chose
    it, the features as received, their range flags, the output, the outcome, and the gates the
    version passed on its way to production.

    \b
    Example:
      cairn predictions explain 01HZX3K9Q4V2M8N6T5R7W1Y0AB --json
    """
    emit({"explanation": client(ctx).explain_prediction(prediction_id)}, as_json, render.render_explanation)


@predictions_app.command("list")
def list_predictions(
    ctx: typer.Context,
    name: NameArgument,
    since: SinceOption = None,
    until: UntilOption = None,
    version: Annotated[int | None, typer.Option("--version", "-v", metavar="N", help="Only this version's.")] = None,
    arm: Annotated[str | None, typer.Option(
        "--arm", metavar="ARM", help="Only this arm's: primary, canary, shadow, a or b.")] = None,
    filter_string: Annotated[str | None, typer.Option(
        "--filter", "-f", metavar="EXPR",
        help="Conditions joined by 'and' on features.<column>, output, outcome, latency_ms, error, and "
             "flags.any / flags.<column> (outside the training ranges): \"features.age > 40 and output = 1\".")
    ] = None,
    max_results: Annotated[int, typer.Option(
        "--max-results", "-n", min=1, max=MAX_LISTED, help="Show at most N predictions.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List NAME's served predictions, newest first.

    \b
    Example:
      cairn predictions list churn --since 2h --arm canary --filter "features.age > 40 and output = 1"
    """
    start, end = time_window(since, until)
    c = client(ctx)
    c.get_registered_model(name)
    found = c.search_predictions(name, since=start, until=end, version=version, arm=arm, filter_string=filter_string,
                                 max_results=min(max_results + 1, MAX_LISTED))
    emit({"model_name": name, "predictions": [p.to_dict() for p in found[:max_results]],
          "has_more": len(found) > max_results}, as_json, render.render_predictions)


@predictions_app.command("outcome")
def log_outcome(
    ctx: typer.Context,
    prediction_id: PredictionArgument,
    value: Annotated[float, typer.Argument(
        metavar="VALUE", help="What really happened: a label, a conversion, a revenue (put -- before a negative "
                              "number).", show_default=False)],
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Join what really happened back to a served prediction; a second outcome replaces the first.

    \b
    Example:
      cairn predictions outcome 01HZX3K9Q4V2M8N6T5R7W1Y0AB 1
    """
    client(ctx).log_outcome(prediction_id, value, user=user)
    emit({"prediction_id": prediction_id, "outcome": value}, as_json,
         lambda doc, console: console.print(
             f"Logged outcome {doc['outcome']:g} for prediction {doc['prediction_id']}."))


def register(app: typer.Typer) -> None:
    """Add ``predictions`` to the ``cairn`` command."""
    app.add_typer(predictions_app, name="predictions")
