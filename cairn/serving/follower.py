"""Following the registry: a serving process polls its deployment's plan and swaps in a new
``Deployment`` when the plan changes (a promotion, a rollback, a canary or shadow added).

The new versions are loaded before the swap, on the follower's thread; the swap itself is one
reference assignment, so requests never wait for a load and a request in flight finishes on the
deployment it started with. When the registry cannot be read, or names nothing to serve (say the
Production version was archived with no successor), the current deployment keeps serving and the
problem is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cairn.registry.deployments import DeploymentPlan

from .deployment import Deployment

_log = logging.getLogger("cairn.serving")

POLL_INTERVAL_S = 0.5


class DeploymentHolder:
    """The deployment requests are served from, swapped atomically."""

    def __init__(self, deployment: Deployment) -> None:
        self.current = deployment
        self.changes = 0


class Follower:
    """Polls ``resolve()`` every ``interval_s`` and, when the plan differs, swaps in
    ``build(plan)`` (which loads any new versions)."""

    def __init__(self, holder: DeploymentHolder, resolve: Callable[[], DeploymentPlan],
                 build: Callable[[DeploymentPlan], Deployment], interval_s: float = POLL_INTERVAL_S,
                 on_swap: Callable[[Deployment], None] | None = None) -> None:
        self.holder = holder
        self._resolve = resolve
        self._build = build
        self._interval = interval_s
        self._on_swap = on_swap
        self._stop = threading.Event()
        self._last_problem: str | None = None
        self._thread = threading.Thread(target=self._run, name="cairn-deployment-follower", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def check(self) -> bool:
        """One poll: True when a new deployment was swapped in."""
        try:
            plan = self._resolve()
            if plan == self.holder.current.plan:
                self._last_problem = None
                return False
            deployment = self._build(plan)
        except Exception as exc:  # the registry is unreachable or names nothing: keep serving
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._last_problem:
                _log.warning("still serving %s: the deployment could not be refreshed (%s)",
                             _versions(self.holder.current), problem)
                self._last_problem = problem
            return False
        self._last_problem = None
        before = _versions(self.holder.current)
        self.holder.current = deployment
        self.holder.changes += 1
        _log.warning("deployment of %s changed: %s -> %s", plan.model_name, before, _versions(deployment))
        if self._on_swap is not None:
            self._on_swap(deployment)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.check()


def _versions(deployment: Deployment) -> str:
    return ", ".join(f"{arm.name} v{arm.version}" for arm in deployment.arms)
