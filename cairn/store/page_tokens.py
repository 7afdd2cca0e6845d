"""Opaque page tokens for paged searches and histories.

A token is URL-safe base64 of a small JSON object (the offset reached and what the token is for), so
a client cannot mistake one kind of token for another; anything that does not decode is refused with
INVALID_PARAMETER_VALUE instead of being read as offset 0.
"""

from __future__ import annotations

import base64
import binascii

import orjson

from cairn.errors import InvalidParameter

_MAX_OFFSET = 2**62


def encode_token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"k": kind, "o": offset})).decode("ascii")


def decode_token(kind: str, token: str | None) -> int:
    """Return the offset a token stands for (0 for no token)."""
    if not token:
        return 0
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (binascii.Error, orjson.JSONDecodeError, UnicodeEncodeError, ValueError):
        data = None
    offset = data.get("o") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("k") != kind
        or not isinstance(offset, int)
        or isinstance(offset, bool)
        or not 0 <= offset < _MAX_OFFSET
    ):
        raise InvalidParameter(
            f"Invalid page_token for {kind}: pass the next_page_token of a previous response unchanged."
        )
    return offset
