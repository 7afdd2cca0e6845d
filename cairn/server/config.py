"""Server settings, and their round trip through environment variables.

uvicorn starts each worker process from an import string, so a multi-worker server cannot hand
its settings to the app as arguments: ``serve()`` writes them to ``CAIRN_SERVER_*`` variables
and every worker's app factory reads them back with ``ServerConfig.from_env()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cairn.artifacts.destinations import normalize_destination
from cairn.artifacts.s3_location import S3_SCHEME
from cairn.errors import InvalidParameter

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_FOLDER = Path(".cairn")
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

ENV_BACKEND_STORE_URI = "CAIRN_SERVER_BACKEND_STORE_URI"
ENV_ARTIFACTS_DESTINATION = "CAIRN_SERVER_ARTIFACTS_DESTINATION"
ENV_S3_ENDPOINT_URL = "CAIRN_SERVER_S3_ENDPOINT_URL"
ENV_S3_REGION = "CAIRN_SERVER_S3_REGION"
ENV_ARTIFACTS_PRESIGNED = "CAIRN_SERVER_ARTIFACTS_PRESIGNED"
ENV_HOST = "CAIRN_SERVER_HOST"
ENV_ALLOWED_HOSTS = "CAIRN_SERVER_ALLOWED_HOSTS"
ENV_ALLOWED_ORIGINS = "CAIRN_SERVER_ALLOWED_ORIGINS"
ENV_MAX_BODY_BYTES = "CAIRN_SERVER_MAX_BODY_BYTES"
ENV_MAX_ARTIFACT_BYTES = "CAIRN_SERVER_MAX_ARTIFACT_BYTES"
ENV_ALLOW_PRIVATE_WEBHOOKS = "CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS"
ENV_AUTH = "CAIRN_SERVER_AUTH"
ENV_AUTH_DEFAULT_PERMISSION = "CAIRN_SERVER_AUTH_DEFAULT_PERMISSION"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class ServerConfig:
    """What a server process needs.

    ``allowed_hosts`` are extra names accepted in the Host header (besides localhost, the bind
    host and IP literals); ``"*"`` accepts any. ``allowed_origins`` are extra browser origins
    (``https://ui.example.com``) allowed to make state-changing calls; ``"*"`` allows any.
    ``max_body_bytes`` limits JSON API bodies; ``max_artifact_bytes`` (None: no limit) uploads.
    ``allow_private_webhook_targets`` lets API clients add webhooks to private, loopback and
    link-local addresses (refused by default, so a registry user cannot make the server probe its
    own network). ``auth`` turns on sign-in and permissions (``cairn.auth``); ``default_permission``
    is what a signed-in user may do on an experiment or model they hold no grant on
    (NO_PERMISSIONS unless the operator says READ, EDIT or MANAGE). ``artifacts_destination`` is
    an absolute folder or ``s3://bucket/prefix``; ``s3_endpoint_url`` / ``s3_region`` (None: from
    ``AWS_ENDPOINT_URL`` / ``AWS_DEFAULT_REGION``) say where that bucket is served;
    ``artifacts_presigned`` lets clients send large files' parts straight to that bucket
    (``InvalidParameter`` when the destination is not on S3).
    """

    backend_store_uri: str
    artifacts_destination: str
    host: str = DEFAULT_HOST
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_artifact_bytes: int | None = None
    allow_private_webhook_targets: bool = False
    auth: bool = False
    default_permission: str = "NO_PERMISSIONS"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    artifacts_presigned: bool = False

    def __post_init__(self) -> None:
        if self.artifacts_presigned and not self.artifacts_destination.startswith(S3_SCHEME):
            raise InvalidParameter(
                f"--artifacts-presigned needs an S3 artifact store (--artifacts-destination s3://bucket/prefix), "
                f"but artifacts go to the folder {self.artifacts_destination}: presigned URLs are the object "
                "store's. Drop the flag or store artifacts on S3."
            )

    def to_env(self) -> dict[str, str]:
        env = {
            ENV_BACKEND_STORE_URI: self.backend_store_uri,
            ENV_ARTIFACTS_DESTINATION: self.artifacts_destination,
            ENV_HOST: self.host,
            ENV_ALLOWED_HOSTS: ",".join(self.allowed_hosts),
            ENV_ALLOWED_ORIGINS: ",".join(self.allowed_origins),
            ENV_MAX_BODY_BYTES: str(self.max_body_bytes),
            ENV_ALLOW_PRIVATE_WEBHOOKS: "true" if self.allow_private_webhook_targets else "false",
            ENV_AUTH: "true" if self.auth else "false",
            ENV_AUTH_DEFAULT_PERMISSION: self.default_permission,
            ENV_ARTIFACTS_PRESIGNED: "true" if self.artifacts_presigned else "false",
        }
        if self.max_artifact_bytes is not None:
            env[ENV_MAX_ARTIFACT_BYTES] = str(self.max_artifact_bytes)
        if self.s3_endpoint_url:
            env[ENV_S3_ENDPOINT_URL] = self.s3_endpoint_url
        if self.s3_region:
            env[ENV_S3_REGION] = self.s3_region
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if env is None else env
        artifact_limit = env.get(ENV_MAX_ARTIFACT_BYTES)
        return cls(
            backend_store_uri=database_url(env.get(ENV_BACKEND_STORE_URI)),
            artifacts_destination=artifacts_destination_of(env.get(ENV_ARTIFACTS_DESTINATION)),
            host=env.get(ENV_HOST) or DEFAULT_HOST,
            allowed_hosts=split_names(env.get(ENV_ALLOWED_HOSTS)),
            allowed_origins=split_names(env.get(ENV_ALLOWED_ORIGINS)),
            max_body_bytes=_byte_count(ENV_MAX_BODY_BYTES, env.get(ENV_MAX_BODY_BYTES), DEFAULT_MAX_BODY_BYTES),
            max_artifact_bytes=_byte_count(ENV_MAX_ARTIFACT_BYTES, artifact_limit, 0) if artifact_limit else None,
            allow_private_webhook_targets=flag(ENV_ALLOW_PRIVATE_WEBHOOKS, env.get(ENV_ALLOW_PRIVATE_WEBHOOKS)),
            auth=flag(ENV_AUTH, env.get(ENV_AUTH)),
            default_permission=env.get(ENV_AUTH_DEFAULT_PERMISSION) or "NO_PERMISSIONS",
            s3_endpoint_url=env.get(ENV_S3_ENDPOINT_URL) or None,
            s3_region=env.get(ENV_S3_REGION) or None,
            artifacts_presigned=flag(ENV_ARTIFACTS_PRESIGNED, env.get(ENV_ARTIFACTS_PRESIGNED)),
        )


def database_url(backend_store_uri: str | None) -> str:
    """A SQLAlchemy URL for ``--backend-store-uri``: a URL as given, a ``.db`` file path, or a
    folder (its ``cairn.db``); None means the embedded default ``./.cairn/cairn.db``."""
    if not backend_store_uri:
        return f"sqlite:///{(DEFAULT_FOLDER / 'cairn.db').absolute()}"
    if "://" in backend_store_uri:
        return backend_store_uri
    path = Path(backend_store_uri).expanduser()
    if path.suffix not in (".db", ".sqlite", ".sqlite3"):
        path = path / "cairn.db"
    return f"sqlite:///{path.absolute()}"


def artifacts_destination_of(destination: str | os.PathLike[str] | None) -> str:
    """The store for ``--artifacts-destination``: ``s3://bucket/prefix``, or a folder (or
    ``file://`` URI) made absolute; None means the embedded default ``./.cairn/artifacts``."""
    return normalize_destination(destination or DEFAULT_FOLDER / "artifacts")


def split_names(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def flag(name: str, text: str | None) -> bool:
    """A boolean setting: true/1/yes/on or false/0/no/off (case-insensitive); unset is false."""
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameter(f"{name} must be true or false, got {text!r}.")


def _byte_count(name: str, text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise InvalidParameter(f"{name} must be a positive number of bytes, got {text!r}.")
    return value
