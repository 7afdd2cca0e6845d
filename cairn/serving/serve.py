"""``serve``: resolve the version to serve once, then run uvicorn workers that each load it."""

from __future__ import annotations

import os

from cairn.models.enforcement import ExtraColumns

from .deployment import model_ref

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5001


def serve(name: str, ref: str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          workers: int = 1, tracking_uri: str | None = None, extra_columns: ExtraColumns = "reject") -> None:
    """Serve a version of ``name`` until interrupted. ``ref`` is a registry reference
    (``NAME@alias``, ``NAME/3``, ``NAME/Production``; default the Production version).

    The reference is resolved here, once, and every worker is given the pinned ``NAME/<version>``
    so that a promotion during start-up cannot leave workers serving different versions.
    ``NotFound`` when nothing matches.
    """
    import uvicorn

    from cairn.client.client import Client

    client = Client(tracking_uri)
    try:
        version = client.resolve_model_version(ref or model_ref(name))
    finally:
        client.close()
    os.environ["CAIRN_SERVE_MODEL"] = name
    os.environ["CAIRN_SERVE_REF"] = f"{version.name}/{version.version}"
    os.environ["CAIRN_SERVE_EXTRA_COLUMNS"] = extra_columns
    if tracking_uri:
        os.environ["CAIRN_TRACKING_URI"] = tracking_uri
    uvicorn.run("cairn.serving.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
