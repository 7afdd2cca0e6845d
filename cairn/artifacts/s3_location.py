"""An ``s3://bucket/prefix`` destination, parsed and checked without any S3 library."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.artifacts.paths import clean_relative_path
from cairn.errors import InvalidParameter

S3_SCHEME = "s3://"
# S3's bucket naming rules (3 to 63 characters; lowercase letters, digits, dots and hyphens).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (``''`` or a clean relative path, no trailing slash)."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}" if self.prefix else f"{S3_SCHEME}{self.bucket}"


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket[/prefix]`` as an ``S3Location``; ``InvalidParameter`` when malformed."""
    if not url.startswith(S3_SCHEME):
        raise InvalidParameter(f"Artifact destination {url!r} is not an s3:// URL.")
    bucket, _, prefix = url[len(S3_SCHEME):].partition("/")
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise InvalidParameter(
            f"Artifact destination {url!r}: {bucket!r} is not a valid S3 bucket name (3 to 63 lowercase "
            "letters, digits, dots or hyphens, starting and ending with a letter or digit)."
        )
    try:
        cleaned = clean_relative_path(prefix)
    except InvalidParameter as exc:
        raise InvalidParameter(f"Artifact destination {url!r}: the prefix is refused. {exc.message}") from exc
    return S3Location(bucket, cleaned)
