"""The boto3 client behind ``S3ArtifactStore``: settings, the startup check, error translation.

boto3 because it is the reference S3 client: it reads the standard AWS variables and files
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, instance roles...), signs for AWS
and for S3-compatible servers (MinIO, SeaweedFS, Ceph), retries, and its clients are thread-safe,
so one client serves every request thread of a server worker. It is an optional dependency
(``pip install 'cairn-tracker[s3]'``): only a store opened on ``s3://`` imports it.

botocore's exceptions never leave this package: ``s3_errors`` turns them into ``StoreUnavailable``
(the detail goes to the log, not to the HTTP client).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from cairn.errors import (
    WHERE_CAUSE_IS_LOGGED,
    CairnError,
    InvalidParameter,
    StoreUnavailable,
)

from .s3_location import S3Location

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'cairn-tracker[s3]'"
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 3
# A server worker runs up to 40 request threads (anyio's default); each may hold a connection.
MAX_CONNECTIONS = 48
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})

# Each client gets a session of its own (a session caches the credentials it found, and the
# environment may change between two stores), but all share one loader of botocore's service
# models, which takes a few hundred ms to read. Made under a lock; the clients are thread-safe.
_loader_lock = threading.Lock()
_loaders: list[Any] = []


def connect(location: S3Location, endpoint_url: str | None, region: str | None) -> Any:
    """A boto3 S3 client for ``location``, checked against the bucket before it is returned.

    ``StoreUnavailable`` when boto3 is missing, the endpoint cannot be reached, the credentials
    are missing or refused, or the bucket does not exist.
    """
    try:
        import boto3
        import botocore.loaders
        import botocore.session
        from botocore.config import Config
    except ModuleNotFoundError as exc:
        raise StoreUnavailable(
            f"The artifact destination {location.url} needs boto3, which is not installed: {INSTALL_HINT}."
        ) from exc
    endpoint = endpoint_url or next((os.environ[v] for v in _ENDPOINT_VARIABLES if os.environ.get(v)), None)
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        max_pool_connections=MAX_CONNECTIONS,
        # botocore presigns URLs with the legacy SigV2 in us-east-1 unless told; regions opened
        # since 2014 and some S3-compatible servers accept only SigV4.
        signature_version="s3v4",
        # S3-compatible servers (MinIO, SeaweedFS, Ceph) serve buckets as paths, not host names.
        s3={"addressing_style": "path"} if endpoint else None,
    )
    try:
        with _loader_lock:
            if not _loaders:
                _loaders.append(botocore.loaders.create_loader())
            core = botocore.session.get_session()
            core.register_component("data_loader", _loaders[0])
            session = boto3.session.Session(botocore_session=core)
            client = session.client("s3", endpoint_url=endpoint, region_name=region, config=config)
    except ValueError as exc:  # a malformed endpoint URL
        raise StoreUnavailable(f"Cannot use the S3 endpoint {endpoint!r}: {exc}.") from exc
    check_bucket(client, location, endpoint)
    return client


def check_bucket(client: Any, location: S3Location, endpoint: str | None) -> None:
    """Ask for the bucket once, so a wrong endpoint, bad keys or a missing bucket fail now."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    where = f"the S3 endpoint {endpoint}" if endpoint else "AWS S3"
    try:
        client.head_bucket(Bucket=location.bucket)
    except NoCredentialsError as exc:
        raise StoreUnavailable(
            f"No S3 credentials for {location.url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or AWS_PROFILE) in the environment."
        ) from exc
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error_code(exc)
        if status == 404 or code in ("404", "NoSuchBucket"):
            message = (f"The bucket {location.bucket!r} does not exist at {where}: create it first, or fix the "
                       f"artifact destination {location.url}.")
        elif status == 403 or code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            message = (f"{where} refused access to the bucket {location.bucket!r} ({status} {code}): check "
                       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and the bucket's permissions.")
        elif status == 301 or code in ("PermanentRedirect", "AuthorizationHeaderMalformed"):
            message = (f"The bucket {location.bucket!r} is in another region than the one configured: set "
                       "AWS_DEFAULT_REGION (or --s3-region) to the bucket's region.")
        else:
            message = f"{where} answered {status} {code} when asked for the bucket {location.bucket!r}."
        raise StoreUnavailable(message) from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(
            f"Cannot reach {where} for {location.url} ({exc}): check the endpoint (AWS_ENDPOINT_URL or "
            "--s3-endpoint-url) and that the server is up."
        ) from exc


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def is_missing(exc: Exception) -> bool:
    """Whether a botocore ``ClientError`` says the object does not exist."""
    return error_code(exc) in _MISSING_CODES


@contextlib.contextmanager
def s3_errors(action: str, location: str) -> Iterator[None]:
    """Translate botocore's failures inside the block into ``StoreUnavailable``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except CairnError:
        raise
    except ClientError as exc:
        code = error_code(exc)
        if code == "KeyTooLongError":
            raise InvalidParameter(
                f"Cannot {action} artifact {location!r}: its path is too long for the S3 artifact store "
                "(keys are limited to 1024 bytes); use shorter names."
            ) from exc
        log.error("could not %s artifact %r: S3 answered %s", action, location, exc)
        raise StoreUnavailable(
            f"Could not {action} artifact {location!r}: the S3 artifact store answered {code or 'an error'}; "
            f"{WHERE_CAUSE_IS_LOGGED}."
        ) from exc
    except BotoCoreError as exc:
        log.error("could not %s artifact %r: %s", action, location, exc)
        raise StoreUnavailable(
            f"Could not {action} artifact {location!r}: the S3 artifact store did not answer; {WHERE_CAUSE_IS_LOGGED}."
        ) from exc
