"""HTTP Range requests on artifact downloads (RFC 9110, section 14): one byte range per request.

``requested_range`` reads a ``Range`` header against a file's size and answers what to send:
``None`` for the whole file (no header, another unit, a malformed header or several ranges, which
a server may ignore), a ``ByteRange`` for a 206 response, or raises ``RangeNotSatisfiable`` (a
416) when the range starts past the end. Multi-range (multipart/byteranges) answers are not made:
download tools and the mlflow client ask for one range at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.errors import RangeNotSatisfiable

HTTP_200_OK = 200
HTTP_206_PARTIAL_CONTENT = 206
_SINGLE_RANGE = re.compile(r"bytes=[ \t]*(\d*)-(\d*)[ \t]*", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``stop`` (exclusive) of a file of ``size`` bytes."""

    start: int
    stop: int
    size: int

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.stop - 1}/{self.size}"


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The single range ``header`` asks for in a file of ``size`` bytes, clipped to its end."""
    if not header:
        return None
    match = _SINGLE_RANGE.fullmatch(header.strip())
    if match is None:
        return None  # another unit, several ranges or a malformed header: send the whole file
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable("The requested range 'bytes=-0' asks for no bytes.", size)
        return ByteRange(max(size - length, 0), size, size) if size else _unsatisfiable(header, size)
    start = int(first)
    stop = size if not last else int(last) + 1
    if last and stop <= start:
        return None  # last before first: invalid, so ignored
    if start >= size:
        return _unsatisfiable(header, size)
    return ByteRange(start, min(stop, size), size)


def _unsatisfiable(header: str, size: int) -> ByteRange:
    raise RangeNotSatisfiable(
        f"The requested range {header.strip()!r} starts at or past the end of the file ({size} bytes).", size
    )
