"""One serving worker's moving parts, wired from the environment ``serve`` sets: the tracking
client, the deployment (loaded at start, then followed), and the prediction log.
``app_from_env`` is the factory each uvicorn worker imports.

Settings (``CAIRN_SERVE_*``; ``serve()`` writes them, every uvicorn worker reads them back):
model name, pinned reference (empty: follow the deployment), extra-column policy, poll interval,
bind host and extra allowed Host names (the DNS-rebinding and CSRF check of ``cairn.web.host_check``),
and where versions run (``local`` or ``venv``, see ``environments``).
``CAIRN_PREDICTION_LOG=off`` turns the prediction log off; ``CAIRN_SERVE_AUTH=true`` puts the admin
routes behind a sign-in (``auth``); ``CAIRN_SERVE_STRICT_RANGES=true`` refuses rows outside the
training ranges.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette

from cairn.web.host_check import HostCheckMiddleware

from .app import create_app
from .deployment import Arm, VersionLoader, build_deployment
from .follower import POLL_INTERVAL_S, DeploymentHolder, Follower
from .prediction_log import PredictionLogger

ENV_MODEL = "CAIRN_SERVE_MODEL"
ENV_REF = "CAIRN_SERVE_REF"
ENV_EXTRA_COLUMNS = "CAIRN_SERVE_EXTRA_COLUMNS"
ENV_POLL_INTERVAL = "CAIRN_SERVE_POLL_INTERVAL"
ENV_PREDICTION_LOG = "CAIRN_PREDICTION_LOG"
ENV_HOST = "CAIRN_SERVE_HOST"
ENV_ALLOWED_HOSTS = "CAIRN_SERVE_ALLOWED_HOSTS"
ENV_AUTH = "CAIRN_SERVE_AUTH"
ENV_ENV_MANAGER = "CAIRN_SERVE_ENV_MANAGER"
ENV_STRICT_RANGES = "CAIRN_SERVE_STRICT_RANGES"
_OFF = ("0", "off", "false", "no")
_log = logging.getLogger("cairn.serving")
STANDBY_ARM = "standby"
_ON = ("1", "on", "true", "yes")


def prediction_log_enabled(env: Any = None) -> bool:
    env = os.environ if env is None else env
    return str(env.get(ENV_PREDICTION_LOG, "on")).strip().lower() not in _OFF


def _access_check(name: str) -> Any:
    """The sign-in check of ``--auth`` (``CAIRN_SERVE_AUTH``), or None without it."""
    if str(os.environ.get(ENV_AUTH, "")).strip().lower() not in _ON:
        return None
    from .auth import access_check_for

    return access_check_for(os.environ.get("CAIRN_TRACKING_URI"), name)


def app_from_env() -> Starlette:
    """The app for one uvicorn worker: ``serve`` names the model, the pinned reference (if any)
    and the options in the environment. Each worker follows the registry on its own."""
    from cairn.client.client import Client

    name = os.environ[ENV_MODEL]
    ref = os.environ.get(ENV_REF) or None
    extra_columns: Any = os.environ.get(ENV_EXTRA_COLUMNS, "reject")
    interval = float(os.environ.get(ENV_POLL_INTERVAL) or POLL_INTERVAL_S)
    client = Client(os.environ.get("CAIRN_TRACKING_URI") or None)
    loader = VersionLoader(client, name, env_manager=os.environ.get(ENV_ENV_MANAGER) or "local")

    # The versions the deployment being replaced served stay loaded until the next change: the
    # likeliest next change is a rollback to them, which then swaps without a cold load.
    previous: set[int] = set()

    def build(plan: Any) -> Any:
        nonlocal previous
        deployment = build_deployment(plan, loader, extra_columns, loader.ranges)
        warm = set(plan.versions())
        standby = []
        for version in plan.standby_versions:  # kept loaded so a rollback swaps without a cold load
            try:
                model, run_id = loader(version)
                standby.append(Arm(STANDBY_ARM, model, str(version), run_id, 0.0, loader.ranges(version)))
                warm.add(version)
            except Exception as exc:  # a standby version that cannot load must not stop serving
                _log.warning("%s v%s on standby could not be kept loaded: %s", name, version, exc)
        loader.keep_only(sorted(warm | previous))
        previous = warm
        return replace(deployment, standby=tuple(standby))

    holder = DeploymentHolder(build(client.resolve_deployment(name, ref)))
    follower = Follower(holder, lambda: client.resolve_deployment(name, ref), build, interval)
    log = PredictionLogger(client.log_predictions) if prediction_log_enabled() else None

    access = _access_check(name)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        follower.start()
        try:
            yield
        finally:
            follower.stop()
            loader.close()
            client.close()
            if access is not None:
                access.close()
            shutil.rmtree(loader.folder, ignore_errors=True)

    allowed = [name.strip() for name in os.environ.get(ENV_ALLOWED_HOSTS, "").split(",") if name.strip()]
    strict = str(os.environ.get(ENV_STRICT_RANGES, "")).strip().lower() in _ON
    app = create_app(holder, prediction_log=log, lifespan=lifespan, strict_ranges=strict)
    # Browsers never call a scoring endpoint on purpose: no Origin is allowed to POST to it.
    checked = HostCheckMiddleware(app, os.environ.get(ENV_HOST, "127.0.0.1"), allowed)
    if access is None:
        return checked  # type: ignore[return-value]
    from .auth import ServingAuthMiddleware

    return ServingAuthMiddleware(checked, access)  # type: ignore[return-value]
