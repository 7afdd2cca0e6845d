"""Cairn's one exception hierarchy.

Every error a user can cause is a ``CairnError`` subclass. The class carries the MLflow error
code and the HTTP status the server answers with, so the same exception is raised whether the
SDK runs embedded or against a server (the REST backend rebuilds it from the JSON error).

    CairnError            base; INTERNAL_ERROR / 500 when raised directly
    ├── InvalidParameter  a value, name, filter or limit is wrong      INVALID_PARAMETER_VALUE / 400
    │   └── InvalidFilter a search filter does not parse; knows where  INVALID_PARAMETER_VALUE / 400
    ├── BadRequest        the request itself is malformed (JSON, type)  BAD_REQUEST / 400
    ├── NotFound          the experiment, run, artifact... is missing   RESOURCE_DOES_NOT_EXIST / 404
    ├── AlreadyExists     a unique name is taken                        RESOURCE_ALREADY_EXISTS / 400
    ├── Conflict          the resource is in a state that forbids this  INVALID_STATE / 409
    ├── PermissionDenied  authenticated but not allowed                 PERMISSION_DENIED / 403
    ├── Unauthenticated   no or bad credentials                         UNAUTHENTICATED / 401
    ├── EndpointNotFound  no such REST endpoint                         ENDPOINT_NOT_FOUND / 404
    ├── PayloadTooLarge   request body over the configured limit        INVALID_PARAMETER_VALUE / 413
    ├── RangeNotSatisfiable  a download's Range starts past the file's end  INVALID_PARAMETER_VALUE / 416
    ├── TooManyRequests   too many failed sign-ins; retry later         REQUEST_LIMIT_EXCEEDED / 429
    ├── Unsupported       this server or store does not offer it        NOT_IMPLEMENTED / 501
    └── StoreUnavailable  the database or artifact store failed         TEMPORARILY_UNAVAILABLE / 503
        └── StoreTooNew   a newer Cairn migrated the store; upgrade     TEMPORARILY_UNAVAILABLE / 503
"""

from __future__ import annotations

from typing import Any, ClassVar

# HTTP statuses used by the error classes (named, never bare numbers elsewhere).
HTTP_400_BAD_REQUEST = 400
HTTP_401_UNAUTHORIZED = 401
HTTP_403_FORBIDDEN = 403
HTTP_404_NOT_FOUND = 404
HTTP_405_METHOD_NOT_ALLOWED = 405
HTTP_409_CONFLICT = 409
HTTP_413_PAYLOAD_TOO_LARGE = 413
HTTP_416_RANGE_NOT_SATISFIABLE = 416
HTTP_429_TOO_MANY_REQUESTS = 429
HTTP_500_INTERNAL_SERVER_ERROR = 500
HTTP_501_NOT_IMPLEMENTED = 501
HTTP_503_SERVICE_UNAVAILABLE = 503


class CairnError(Exception):
    """Base class: an error with an MLflow error code, an HTTP status and a helpful message."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = HTTP_500_INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_wire(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameter(CairnError):
    """A name, value, filter, page token or limit is wrong; the message says which and why."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = HTTP_400_BAD_REQUEST


class InvalidFilter(InvalidParameter):
    """A search filter or order clause is wrong; ``position`` is the offending character offset
    when known, so a form can point at the bad token."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class BadRequest(CairnError):
    """The request cannot be decoded: malformed JSON, wrong field type, missing field."""

    error_code = "BAD_REQUEST"
    http_status = HTTP_400_BAD_REQUEST


class NotFound(CairnError):
    """The named experiment, run, metric, artifact or model does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = HTTP_404_NOT_FOUND


class AlreadyExists(CairnError):
    """A unique name is already taken. MLflow answers 400 here, not 409; clients rely on it."""

    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = HTTP_400_BAD_REQUEST


class Conflict(CairnError):
    """The resource's state forbids the operation (e.g. logging to a deleted run)."""

    error_code = "INVALID_STATE"
    http_status = HTTP_409_CONFLICT


class PermissionDenied(CairnError):
    """The caller is known but not allowed to do this."""

    error_code = "PERMISSION_DENIED"
    http_status = HTTP_403_FORBIDDEN


class Unauthenticated(CairnError):
    """No credentials, or credentials that do not check out."""

    error_code = "UNAUTHENTICATED"
    http_status = HTTP_401_UNAUTHORIZED


class EndpointNotFound(CairnError):
    """No REST endpoint answers this path."""

    error_code = "ENDPOINT_NOT_FOUND"
    http_status = HTTP_404_NOT_FOUND


class PayloadTooLarge(CairnError):
    """The request body is larger than the server accepts."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = HTTP_413_PAYLOAD_TOO_LARGE


class RangeNotSatisfiable(CairnError):
    """A download asked for a byte range starting at or past the end of the file; ``size`` is the
    file's length (answered in ``Content-Range: bytes */size``)."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = HTTP_416_RANGE_NOT_SATISFIABLE

    def __init__(self, message: str, size: int = 0) -> None:
        super().__init__(message)
        self.size = size


class TooManyRequests(CairnError):
    """Too many attempts (failed sign-ins) in a short time; ``retry_after_s`` says when to retry."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unsupported(CairnError):
    """The request is well formed but this server or store does not offer it (a presigned
    multipart upload on a server started without ``--artifacts-presigned``)."""

    error_code = "NOT_IMPLEMENTED"
    http_status = HTTP_501_NOT_IMPLEMENTED


class StoreUnavailable(CairnError):
    """The metadata database or artifact store failed; retrying later may help."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    http_status = HTTP_503_SERVICE_UNAVAILABLE


class StoreTooNew(StoreUnavailable):
    """The store's schema was migrated by a newer Cairn than this one: upgrade Cairn to open it."""


# Where a store failure's cause (driver error, file path) is written, in words true both for an
# embedded store and behind a server: the message reaches the user either way, the cause does not.
WHERE_CAUSE_IS_LOGGED = (
    "the cause is logged by the process that opened the store: the `cairn server` log when tracking "
    "to a server, this program's log (stderr by default) when the store is embedded"
)


_BY_CODE: dict[tuple[str, int], type[CairnError]] = {
    (cls.error_code, cls.http_status): cls
    for cls in (
        InvalidParameter,
        BadRequest,
        NotFound,
        AlreadyExists,
        Conflict,
        PermissionDenied,
        Unauthenticated,
        EndpointNotFound,
        PayloadTooLarge,
        RangeNotSatisfiable,
        TooManyRequests,
        Unsupported,
        StoreUnavailable,
    )
}


def error_from_wire(error_code: str, message: str, http_status: int) -> CairnError:
    """Rebuild the exception a server raised from its JSON error body (used by the REST backend)."""
    cls = _BY_CODE.get((error_code, http_status))
    if cls is None:
        cls = next((c for (code, _), c in _BY_CODE.items() if code == error_code), CairnError)
    return cls(message)
