"""What every step of the demo agrees on: the experiment, the model it registers, and the metric
its runs are ranked by (and its versions gated on)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.entities import Run

EXPERIMENT = "breast-cancer-gbm"
MODEL_NAME = "breast-cancer-gbm"
BEST_METRIC = "best_val_auc"


def ranked_runs(client: Client, experiment_id: str) -> list[Run]:
    """The experiment's runs that logged ``BEST_METRIC`` (not NaN), best first."""
    runs = client.search_runs([experiment_id], order_by=[f"metrics.{BEST_METRIC} DESC"]).items
    return [r for r in runs if BEST_METRIC in r.data.metrics and not math.isnan(r.data.metrics[BEST_METRIC].value)]
