"""``serve``: check the deployment resolves, then run uvicorn workers that each load it and
follow the registry from then on."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from cairn.models.enforcement import ExtraColumns

from . import runtime
from .deployment import VersionLoader
from .environments import check_env_manager

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5001
APP_FACTORY = "cairn.serving.runtime:app_from_env"


def serve(name: str, ref: str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          workers: int = 1, tracking_uri: str | None = None, extra_columns: ExtraColumns = "reject",
          prediction_log: bool = True, allowed_hosts: tuple[str, ...] = (), auth: bool = False,
          env_manager: str = "local", progress: Callable[[str], None] | None = None,
          strict_ranges: bool = False) -> None:
    """Serve ``name`` until interrupted. ``ref`` pins the primary (``NAME@alias``, ``NAME/3``,
    ``NAME/Staging``); None follows the deployment: its primary alias, else the Production
    version, plus any canary, shadow or A/B arm. Promotions, rollbacks and traffic changes take
    effect within a second or two, without a restart.

    Requests naming another ``Host`` than localhost, ``host``, an IP address or one of
    ``allowed_hosts`` are refused (DNS rebinding), as are cross-origin browser POSTs. ``auth``
    puts ``/version`` and ``/metadata`` behind a sign-in by a user who may read the model.

    ``env_manager`` says where each version runs: ``local`` (here; a version whose requirements
    are not met is refused before any worker starts) or ``venv`` (a worker in an environment built
    from its requirements; built here first, ``progress`` getting one line per step).

    Each row is checked against the ranges of the version's training dataset: a value outside
    them is flagged on the prediction, or refused with 400 under ``strict_ranges``.

    ``NotFound`` (before any worker starts) when there is nothing to serve.
    """
    import uvicorn

    from cairn.client.client import Client

    check_env_manager(env_manager)
    client = Client(tracking_uri)
    loader = VersionLoader(client, name, env_manager=env_manager, progress=progress)
    try:
        plan = client.resolve_deployment(name, ref)
        for version in sorted(plan.versions()):
            loader.check(version)
    finally:
        shutil.rmtree(loader.folder, ignore_errors=True)
        client.close()
    os.environ[runtime.ENV_MODEL] = name
    os.environ[runtime.ENV_REF] = ref or ""
    os.environ[runtime.ENV_EXTRA_COLUMNS] = extra_columns
    os.environ[runtime.ENV_HOST] = host
    os.environ[runtime.ENV_ALLOWED_HOSTS] = ",".join(allowed_hosts)
    if not prediction_log:
        os.environ[runtime.ENV_PREDICTION_LOG] = "off"
    os.environ[runtime.ENV_AUTH] = "true" if auth else "false"
    os.environ[runtime.ENV_ENV_MANAGER] = env_manager
    os.environ[runtime.ENV_STRICT_RANGES] = "true" if strict_ranges else "false"
    if tracking_uri:
        os.environ["CAIRN_TRACKING_URI"] = tracking_uri
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                log_level="warning")
