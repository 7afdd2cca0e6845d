"""``cairn models requirements`` and ``cairn models benchmark``: what a version needs to serve,
and how fast it serves, measured by loading it exactly as ``cairn serve`` does; ``cairn models
stability`` and ``cairn models breach``: the stability window after a promotion."""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import JsonOption, NameArgument, UserOption, VersionArgument
from cairn.cli.output import client, emit
from cairn.cli.render import evidence as render


def requirements(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    latency_p99: Annotated[str | None, typer.Option("--latency-p99", metavar="DURATION",
                                                    help="p99 latency budget per request: 20ms, 0.5s.")] = None,
    max_batch: Annotated[int | None, typer.Option("--max-batch", metavar="ROWS",
                                                  help="The most rows one request may carry.")] = None,
    gpu: Annotated[bool | None, typer.Option("--gpu/--cpu", help="Whether it needs a GPU or runs on CPU.",
                                             show_default=False)] = None,
    memory: Annotated[str | None, typer.Option("--memory", metavar="SIZE", help="Memory it needs: 2GiB, 512MiB.")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Show or state what a version needs to serve; options given change it (others are kept).

    \b
    Example:
      cairn models requirements churn 3 --latency-p99 20ms --max-batch 64 --cpu --memory 2GiB
    """
    c = client(ctx)
    device = None if gpu is None else "gpu" if gpu else "cpu"
    if any(v is not None for v in (latency_p99, max_batch, device, memory)):
        found = c.set_version_requirements(name, version, latency_p99=latency_p99, max_batch=max_batch,
                                           device=device, memory=memory, user=user)
    else:
        found = c.get_version_requirements(name, version)
    emit({"name": name, "version": int(version), "requirements": found.to_dict()}, as_json,
         render.render_requirements)


def benchmark(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Single-row requests to time (and rows batched).")]
    = 200,
    dataset: Annotated[str | None, typer.Option("--dataset", metavar="REF",
                                                help="Replay a logged dataset's rows (or a Parquet/CSV path) "
                                                     "instead of the input example.")] = None,
    batch: Annotated[int | None, typer.Option("--batch", min=1, metavar="ROWS",
                                              help="Rows per batch (default: the version's max batch, else 32).")]
    = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Time a version loaded exactly as `cairn serve` loads it, and keep the result on the version.

    Replays its input example (or --dataset rows) one row per request, then in batches; records
    p50/p99 latency, rows per second and the machine. The policy's latency gate reads the newest
    benchmark.

    \b
    Example:
      cairn models benchmark churn 3 --rows 500 --json
    """
    from cairn.serving.benchmark import run_benchmark

    c = client(ctx)
    number = int(version)
    result = c.record_benchmark(name, number, run_benchmark(c, name, number, rows=rows, dataset=dataset,
                                                            batch_rows=batch), user=user)
    emit({"name": name, "version": number, **result.to_dict(),
          "requirements": c.get_version_requirements(name, number).to_dict()}, as_json, render.render_benchmark)


def stability(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Show NAME's stability window: the standby version, when it will be archived, any gate
    breach, and what the policy's watched gates read on the new Production version now.

    After a promotion with the policy's --archive-previous-after, the replaced version waits on
    standby (served warm for an instant rollback). The policy's canary and outcome gates keep
    watching the new version against what the standby version served before the promotion; a
    failure on enough evidence is a breach, which keeps the standby version for a rollback.

    \b
    Example:
      cairn models stability churn
    """
    emit(client(ctx).get_stability(name), as_json, render.render_stability)


def breach(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="What went wrong (kept in the audit trail).")],
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Report a breach on Production VERSION (e.g. from outside monitoring): the version it
    replaced stays on standby for a rollback instead of being archived when its window ends.

    \b
    Example:
      cairn models breach churn 4 --reason "refund rate doubled since 09:00"
    """
    event = client(ctx).record_gate_breach(name, version, reason, user=user)
    emit(event, as_json, render.render_breach)
