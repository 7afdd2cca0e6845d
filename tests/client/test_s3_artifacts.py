"""The SDK on an embedded store whose artifacts live in S3 (``CAIRN_ARTIFACTS_ROOT=s3://...``,
the bucket reached through the standard AWS variables): the same calls as on a folder, and a
misconfigured bucket refused on the first call with the reason, not on the first upload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn.artifacts import parse_s3_url
from cairn.client import fluent, tracking_uri
from cairn.errors import StoreUnavailable

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_store(tmp_path: Path, s3_destination: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    monkeypatch.setenv(tracking_uri.ENV_ARTIFACTS_ROOT, s3_destination)
    fluent.set_tracking_uri(tmp_path / "store")
    try:
        yield s3_destination
    finally:
        while fluent.active_run() is not None:
            fluent.end_run()
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()


def test_sdk_logs_lists_and_downloads_artifacts_in_the_bucket(
    s3_store: str, seaweedfs: Any, tmp_path: Path
) -> None:
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.txt").write_text("A")
    (tmp_path / "dir" / "sub" / "b.txt").write_text("B")
    with cairn.start_run() as run:
        cairn.log_text("hello", "notes/hello.txt")
        cairn.log_artifacts(tmp_path / "dir", "tree")
    client = cairn.Client()
    assert {f.path: f.is_dir for f in client.list_artifacts(run.run_id)} == {"notes": True, "tree": True}
    assert [f.path for f in client.list_artifacts(run.run_id, "tree")] == ["tree/a.txt", "tree/sub"]
    out = client.download_artifacts(run.run_id, "tree", tmp_path / "out")
    assert (out / "sub" / "b.txt").read_text() == "B"

    location = parse_s3_url(s3_store)
    listed = seaweedfs.client().list_objects_v2(Bucket=location.bucket, Prefix=f"{location.prefix}/tree/")
    assert len(listed["Contents"]) == 3  # the index entries are in the bucket, not on the disk
    assert not (tmp_path / "store" / "artifacts").exists()


def test_a_missing_bucket_fails_the_first_call_with_the_reason(
    tmp_path: Path, s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tracking_uri.ENV_ARTIFACTS_ROOT, "s3://no-such-bucket-for-sdk/artifacts")
    fluent.set_tracking_uri(tmp_path / "store")
    try:
        with pytest.raises(StoreUnavailable, match="'no-such-bucket-for-sdk' does not exist"):
            cairn.set_experiment("never")
    finally:
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()
