"""/mlflow/experiments/search-datasets: the datasets runs of some experiments used (the web
UI's dataset filter)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.tracking import dataset_summaries
from cairn.tracking.dataset_summaries import DatasetSummary

from .decoders import request_fields
from .state import db_of
from .wire import wire_json


def summary_to_wire(summary: DatasetSummary) -> dict[str, Any]:
    wire = {"experiment_id": summary.experiment_id, "name": summary.name, "digest": summary.digest}
    if summary.context is not None:
        wire["context"] = summary.context
    return wire


async def search_datasets(request: Request) -> Response:
    f = await request_fields(request)
    experiment_ids = f.strings("experiment_ids")
    found = await run_in_threadpool(dataset_summaries.search_dataset_summaries, db_of(request), experiment_ids)
    return wire_json({"dataset_summaries": [summary_to_wire(s) for s in found]} if found else {})


ROUTES = [
    ("/mlflow/experiments/search-datasets", ["POST"], search_datasets),
]
