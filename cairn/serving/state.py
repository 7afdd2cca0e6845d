"""What every serving handler reaches through ``request.app.state``: the deployment being
served, and the helpers that outlive a request (prediction ids, the log, the shadow, the pacer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from .follower import DeploymentHolder
from .pacing import InlinePacer
from .prediction_log import PredictionLogger
from .shadow import ShadowRunner


@dataclass(frozen=True)
class ServingState:
    """``holder`` has the current deployment (a follower may swap it); ``new_id`` makes one
    prediction id per row; ``prediction_log`` (None: off) records each answer; ``strict_ranges``
    refuses rows outside the training ranges instead of flagging them."""

    holder: DeploymentHolder
    new_id: Callable[[], str]
    prediction_log: PredictionLogger | None
    shadows: ShadowRunner
    pacer: InlinePacer
    strict_ranges: bool = False  # refuse rows outside the version's training ranges (400)

    def close(self) -> None:
        """Let the shadow and the log finish what they hold."""
        self.shadows.close()
        if self.prediction_log is not None:
            self.prediction_log.close()


def state_of(request: Request) -> ServingState:
    state: ServingState = request.app.state.serving
    return state
