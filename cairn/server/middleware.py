"""ASGI middleware that refuses requests before any handler runs.

``HostCheckMiddleware`` (DNS rebinding and CSRF) lives in ``cairn.host_check``, shared with the
serving app; it is re-exported here.

``BodyLimitMiddleware``: request bodies above a limit get 413 without being read whole: at once
when ``Content-Length`` says so, else as soon as the streamed byte count passes the limit.
Artifact uploads have their own (by default no) limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import PayloadTooLarge
from cairn.host_check import HostCheckMiddleware, header, host_name, send_error

__all__ = ["BodyLimitMiddleware", "HostCheckMiddleware", "host_name"]

# The web UI's upload-artifact carries a file too: the artifact limit applies, not the JSON one.
ARTIFACT_PATH_PREFIXES = (
    "/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/",
    "/api/2.0/mlflow/upload-artifact", "/ajax-api/2.0/mlflow/upload-artifact",
)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_artifact_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_artifact_bytes = max_artifact_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_artifact = scope["path"].startswith(ARTIFACT_PATH_PREFIXES)
        limit = self.max_artifact_bytes if is_artifact else self.max_body_bytes
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await send_error(send, _too_large(limit, is_artifact))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit, is_artifact)
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int, is_artifact: bool) -> PayloadTooLarge:
    what = "Artifact uploads" if is_artifact else "Request bodies"
    hint = "" if is_artifact else (
        " Split large batches (log-batch takes at most 1000 metrics) or upload files as artifacts."
    )
    return PayloadTooLarge(f"{what} are limited to {limit} bytes.{hint}")
