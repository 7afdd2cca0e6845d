"""How ``RestBackend`` talks to a server: one ``httpx.Client`` per backend (a pooled keep-alive
connection; HTTP/1.1 is all MLflow's API needs), compact JSON bodies, and error bodies
(``{"error_code", "message"}``) rebuilt into the ``cairn.errors`` class of their error code, so
user code catches ``NotFound`` in either mode. Nothing here reads an error's message text.

Credentials come from the environment, as the mlflow client reads them: an API token from
``CAIRN_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_TOKEN`` (sent as ``Authorization: Bearer``), else
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD`` (HTTP Basic). Every write also
names its actor in ``X-Cairn-User``: a server without ``--auth`` records that name as unverified;
one with ``--auth`` records the signed-in user instead.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from cairn.entities import Actor
from cairn.errors import CairnError, StoreUnavailable, error_from_wire

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
USER_HEADER = "X-Cairn-User"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
ENV_TOKENS = ("CAIRN_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")
ENV_USERNAME, ENV_PASSWORD = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"


class BearerToken(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._header
        yield request


def credentials_from_env() -> httpx.Auth | None:
    """The sign-in the environment holds: a token first, else a user name and password."""
    token = next((os.environ[name] for name in ENV_TOKENS if os.environ.get(name)), None)
    if token:
        return BearerToken(token)
    username, password = os.environ.get(ENV_USERNAME), os.environ.get(ENV_PASSWORD)
    if username and password:
        return httpx.BasicAuth(username, password)
    return None


class RestTransport:
    """The connection the REST backend's parts share. ``uri`` is the server's base URL, e.g.
    ``http://127.0.0.1:5000``."""

    def __init__(self, uri: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.uri = uri.rstrip("/")
        self._http = httpx.Client(base_url=self.uri, timeout=TIMEOUT, transport=transport,
                                  auth=credentials_from_env())

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 params: dict[str, Any] | None = None, actor: Actor | None = None) -> dict[str, Any]:
        """Send one JSON request to ``path`` and return the decoded JSON answer."""
        headers = {}
        if body is not None:
            headers["content-type"] = "application/json"
        if actor is not None:
            headers[USER_HEADER] = quote(actor.name, safe="")
        content = orjson.dumps(body) if body is not None else None
        with self._errors():
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        return decode(self._checked(response))

    def _call(self, method: str, endpoint: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``_request`` to an MLflow tracking endpoint (``/runs/create`` ...)."""
        return self._request(method, API + endpoint, body, params)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            raise StoreUnavailable(
                f"Cannot reach the tracking server at {self.uri} ({type(exc).__name__}); is it running?"
            ) from exc

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        response.read()
        try:
            body = decode(response)
            code, message = str(body["error_code"]), str(body["message"])
        except (ValueError, KeyError, TypeError):
            text = response.text[:200]
            raise CairnError(
                f"The tracking server at {self.uri} answered {response.status_code}: {text}"
            ) from None
        raise error_from_wire(code, message, response.status_code)


# wire helpers the backend's parts share ---------------------------------------------------

def decode(response: httpx.Response) -> dict[str, Any]:
    content = response.content
    if not content:
        return {}
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        data = json.loads(content)  # NaN and Infinity literals in metric values
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (a server reads an absent field as its default)."""
    return {k: v for k, v in fields.items() if v is not None}


def wire_double(value: float) -> float | str:
    """A double as proto3 JSON spells it: non-finite values as strings, which strict JSON parsers
    accept."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def pairs(mapping: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def tags_of(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or []}
