"""Reading the files an MLflow database points at: a local folder, or S3 through boto3.

A location is what MLflow recorded (a run's ``artifact_uri``, a logged model's
``artifact_location``):

* ``mlflow-artifacts:/<path>``: behind the MLflow server's proxy; read under ``--artifacts``
  (the folder or ``s3://bucket/prefix`` the server was given as ``--artifacts-destination``);
* ``file:///path`` or ``/path``: a local folder, read where it is;
* ``s3://bucket/prefix``: read with boto3, configured by the standard ``AWS_*`` variables
  (``AWS_ENDPOINT_URL`` for S3-compatible stores). boto3 is optional: without it such a location
  fails with a message saying so.

Anything else (``gs://``, ``wasbs://``, ``hdfs://``...) is refused with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from cairn.artifacts.paths import clean_relative_path
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable

from .records import SourceFile

PROXY_SCHEME = "mlflow-artifacts:"
S3_SCHEME = "s3://"


class ArtifactFiles:
    """Lists and fetches files by MLflow location; ``root`` is ``--artifacts`` (or None)."""

    def __init__(self, root: str | None) -> None:
        self.root = root
        self._s3: Any = None
        if root is not None and not root.startswith(S3_SCHEME) and not Path(root).expanduser().is_dir():
            raise NotFound(f"--artifacts {root}: no such folder. Give the folder (or s3:// URI) the MLflow "
                           "server stores artifacts in (its --artifacts-destination).")

    def needs_root(self, location: str) -> bool:
        return location.startswith(PROXY_SCHEME) and self.root is None

    def list_files(self, location: str) -> list[SourceFile]:
        place = self._resolve(location)
        if isinstance(place, Path):
            return _local_files(place)
        bucket, prefix = place
        return self._s3_files(bucket, prefix)

    def fetch(self, location: str, path: str, dest: Path) -> None:
        relative = clean_relative_path(path, allow_empty=False)
        place = self._resolve(location)
        if isinstance(place, Path):
            try:
                shutil.copyfile(place / relative, dest)
            except OSError as exc:
                raise NotFound(f"Cannot read artifact {place / relative}: {exc.strerror or exc}.") from exc
            return
        bucket, prefix = place
        key = f"{prefix}/{relative}" if prefix else relative
        client = self._client()
        try:
            client.download_file(bucket, key, str(dest))
        except _s3_errors() as exc:
            raise StoreUnavailable(f"Cannot read s3://{bucket}/{key}: {exc}") from exc

    def _resolve(self, location: str) -> Path | tuple[str, str]:
        if location.startswith(PROXY_SCHEME):
            if self.root is None:
                raise InvalidParameter(
                    f"Artifacts at '{location}' sit behind the MLflow server's proxy: give --artifacts, the folder "
                    "or s3:// URI that server stores them in (its --artifacts-destination)."
                )
            relative = clean_relative_path(urlparse(location).path.lstrip("/"))
            if self.root.startswith(S3_SCHEME):
                bucket, prefix = _s3_place(self.root)
                return bucket, "/".join(p for p in (prefix, relative) if p)
            return Path(self.root).expanduser() / relative
        if location.startswith(S3_SCHEME):
            return _s3_place(location)
        if location.startswith("file:"):
            return Path(unquote(urlparse(location).path))
        if location.startswith("/"):
            return Path(location)
        raise InvalidParameter(
            f"Cannot read artifacts at '{location[:200]}': only local folders, file: URIs, s3:// and "
            "mlflow-artifacts:/ (with --artifacts) are read. Copy them to one of those first."
        )

    def _client(self) -> Any:
        if self._s3 is None:
            try:
                import boto3
            except ImportError:
                raise InvalidParameter("Reading s3:// artifacts needs boto3: pip install boto3.") from None
            self._s3 = boto3.client("s3")
        return self._s3

    def _s3_files(self, bucket: str, prefix: str) -> list[SourceFile]:
        start = f"{prefix}/" if prefix else ""
        found = []
        client = self._client()
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
                for item in page.get("Contents", []):
                    found.append(SourceFile(item["Key"][len(start):], int(item["Size"])))
        except _s3_errors() as exc:
            raise StoreUnavailable(f"Cannot list s3://{bucket}/{start}: {exc}") from exc
        return sorted((f for f in found if f.path), key=lambda f: f.path)


def _s3_errors() -> tuple[type[Exception], ...]:
    # botocore's request errors and boto3's transfer errors share no base class but Exception.
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


def _s3_place(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if not parsed.netloc:
        raise InvalidParameter(f"'{uri[:200]}' names no bucket; write it as s3://bucket/prefix.")
    return parsed.netloc, clean_relative_path(parsed.path.strip("/"))


def _local_files(base: Path) -> list[SourceFile]:
    if not base.is_dir():
        return []  # a run that logged no file has no folder
    found = []
    for folder, _dirs, names in os.walk(base):
        for name in names:
            full = Path(folder) / name
            size = full.stat().st_size if full.exists() else None  # a broken link fails when fetched
            found.append(SourceFile(full.relative_to(base).as_posix(), size))
    return sorted(found, key=lambda f: f.path)
