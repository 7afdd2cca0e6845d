"""``cairn models requirements`` and ``cairn models benchmark``: what a version needs to serve,
and how fast it serves, measured by loading it exactly as ``cairn serve`` does."""

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
