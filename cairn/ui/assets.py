"""The UI's static files, served under content-hashed names with long-lived cache headers.

Every file under ``static/`` is read once, named ``<stem>.<hash>.<suffix>`` (first 12 hex digits of
its sha256) and gzip-compressed once; a page links the hashed name, so a new release changes the
URL and a browser may cache a file forever. ``.map``-style extras and licences are served too:
licences must travel with the vendored code.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

STATIC_ROOT = Path(__file__).parent / "static"
HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
_TYPES = {
    ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml",
}  # fmt: skip
_COMPRESSIBLE = (".js", ".css", ".txt", ".svg")


@dataclass(frozen=True)
class Asset:
    hashed_name: str
    content_type: str
    body: bytes
    gzipped: bytes | None


class Assets:
    """Logical name (``vendor/htmx.min.js``) -> hashed URL name, and the bytes to serve."""

    def __init__(self, root: Path = STATIC_ROOT) -> None:
        self._by_logical: dict[str, Asset] = {}
        self._by_hashed: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            logical = path.relative_to(root).as_posix()
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
            stem, dot, suffix = logical.rpartition(".")
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{logical}.{digest}"
            zipped = gzip.compress(body, 9, mtime=0) if path.suffix in _COMPRESSIBLE else None
            asset = Asset(hashed, _TYPES.get(path.suffix, "application/octet-stream"), body, zipped)
            self._by_logical[logical] = asset
            self._by_hashed[hashed] = asset

    def url_name(self, logical: str) -> str:
        """The hashed name of ``logical``; KeyError for a file that does not exist (a template bug)."""
        return self._by_logical[logical].hashed_name

    def compressed_size(self, suffixes: tuple[str, ...]) -> int:
        """Bytes a browser downloads for every file ending in ``suffixes`` (gzip when it applies)."""
        return sum(len(a.gzipped or a.body) for name, a in self._by_logical.items() if name.endswith(suffixes))

    async def serve(self, request: Request) -> Response:
        asset = self._by_hashed.get(request.path_params["name"])
        if asset is None:
            return PlainTextResponse("No such file.", status_code=404)
        headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
        accepts_gzip = "gzip" in request.headers.get("accept-encoding", "")
        if asset.gzipped is not None and accepts_gzip:
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.content_type, headers=headers)
        return Response(asset.body, media_type=asset.content_type, headers=headers)
