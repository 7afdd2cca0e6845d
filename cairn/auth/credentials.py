"""Credentials as the ``Authorization`` header carries them: HTTP Basic (user name and password,
or an API token as the password: what ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` send) or Bearer
(an API token: what ``MLFLOW_TRACKING_TOKEN`` sends)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cairn.errors import Unauthenticated

BASIC, BEARER = "basic", "bearer"
MAX_HEADER_LENGTH = 8192


@dataclass(frozen=True)
class Credentials:
    scheme: str
    username: str | None
    secret: str

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"Credentials(scheme={self.scheme!r}, username={self.username!r})"


def parse_authorization(header: str | None) -> Credentials | None:
    """None without a header; ``Unauthenticated`` for one that cannot be read."""
    if header is None:
        return None
    if len(header) > MAX_HEADER_LENGTH:
        raise Unauthenticated("The Authorization header is too long.")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == BEARER and value:
        return Credentials(BEARER, None, value)
    if scheme.lower() == BASIC and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("The Basic credentials are not valid base64 of UTF-8 'user:password'.") from None
        username, colon, password = decoded.partition(":")
        if colon and username and password:
            return Credentials(BASIC, username, password)
    raise Unauthenticated(
        "Unsupported Authorization header; send HTTP Basic (MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) "
        "or a Bearer API token (MLFLOW_TRACKING_TOKEN)."
    )
