"""The server's middleware: the checks that refuse a request before any handler runs, with the
server's settings.

With ``--auth``, sign-in and permissions come first (``auth_middleware``: deny by default). Then
Host and Origin are checked (DNS rebinding and CSRF), then the body size: JSON API bodies up to
``max_body_bytes``; artifact uploads have their own (by default no) limit.
"""

from __future__ import annotations

from starlette.middleware import Middleware

from cairn.ui.sign_in_gate import BrowserGate
from cairn.web.body_limit import BodyLimit, BodyLimitMiddleware
from cairn.web.host_check import HostCheckMiddleware

from .auth_middleware import AuthMiddleware
from .config import ServerConfig
from .state import ServerState

# The web UI's upload-artifact carries a file too: the artifact limit applies, not the JSON one.
ARTIFACT_PATH_PREFIXES = (
    "/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/",
    "/api/2.0/mlflow/upload-artifact", "/ajax-api/2.0/mlflow/upload-artifact",
)
BATCH_HINT = "Split large batches (log-batch takes at most 1000 metrics) or upload files as artifacts."


def server_middleware(config: ServerConfig, state: ServerState) -> list[Middleware]:
    artifact_limit = BodyLimit(config.max_artifact_bytes, what="Artifact uploads")
    signed_in = [Middleware(AuthMiddleware, state=state, browser=BrowserGate())] if config.auth else []
    return [
        *signed_in,
        Middleware(HostCheckMiddleware, bind_host=config.host, allowed_hosts=config.allowed_hosts,
                   allowed_origins=config.allowed_origins),
        Middleware(BodyLimitMiddleware, limit=BodyLimit(config.max_body_bytes, hint=BATCH_HINT),
                   by_path_prefix=[(prefix, artifact_limit) for prefix in ARTIFACT_PATH_PREFIXES]),
    ]
