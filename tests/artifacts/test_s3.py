"""What only the S3 store does (on SeaweedFS): the folder store's layout as objects, multipart
staging that leaves nothing behind, the collector's grace for recent blobs, and a clear error
when the bucket cannot be used — raised when the store is opened, not on the first upload."""

import hashlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.artifacts import LocalArtifactStore, open_artifact_store, parse_s3_url, s3_upload
from cairn.artifacts.s3 import S3ArtifactStore
from cairn.artifacts.s3_upload import MAX_PART_SIZE, PART_SIZE, PARTS_PER_SIZE, part_size
from cairn.errors import InvalidParameter, StoreUnavailable

pytestmark = pytest.mark.slow

RUN = "1/0123abcd/artifacts"


@pytest.fixture
def destination(s3_destination: str) -> str:
    return s3_destination


@pytest.fixture
def store(destination: str) -> Iterator[S3ArtifactStore]:
    opened = open_artifact_store(destination)
    assert isinstance(opened, S3ArtifactStore)
    yield opened
    opened.close()


def objects(seaweedfs: Any, destination: str) -> dict[str, bytes]:
    """Every object under the destination's prefix, by key relative to it."""
    location = parse_s3_url(destination)
    client = seaweedfs.client()
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=f"{location.prefix}/")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return {
        key.removeprefix(f"{location.prefix}/"): client.get_object(Bucket=location.bucket, Key=key)["Body"].read()
        for key in keys
    }


def test_the_bucket_holds_the_folder_stores_layout(
    seaweedfs: Any, destination: str, store: S3ArtifactStore, tmp_path: Path
) -> None:
    folder = LocalArtifactStore(tmp_path / "folder")
    for each in (folder, store):
        each.put_bytes(f"{RUN}/model/weights.bin", b"weights")
        each.put_bytes(f"{RUN}/copy.bin", b"weights")
        each.put_bytes(f"{RUN}/notes.txt", b"notes")

    in_folder = {path.relative_to(folder.root).as_posix(): path.read_bytes()
                 for path in folder.root.rglob("*") if path.is_file() and path.name != "lock"}  # fmt: skip
    assert objects(seaweedfs, destination) == in_folder
    assert sorted(in_folder) == sorted([
        f"blobs/{hashlib.sha256(b'weights').hexdigest()[:2]}/{hashlib.sha256(b'weights').hexdigest()}",
        f"blobs/{hashlib.sha256(b'notes').hexdigest()[:2]}/{hashlib.sha256(b'notes').hexdigest()}",
        f"tree/{RUN}/copy.bin", f"tree/{RUN}/model/weights.bin", f"tree/{RUN}/notes.txt",
    ])  # fmt: skip


@pytest.mark.parametrize("size", [PART_SIZE - 1, PART_SIZE, PART_SIZE + 1, 2 * PART_SIZE + 5])
def test_streams_around_the_part_size_round_trip_and_leave_nothing_staged(
    seaweedfs: Any, destination: str, store: S3ArtifactStore, size: int
) -> None:
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    store.put_stream(f"{RUN}/f.bin", (data[i : i + 3 * 2**20] for i in range(0, size, 3 * 2**20)))
    assert b"".join(store.iter_bytes(f"{RUN}/f.bin")) == data
    location = parse_s3_url(destination)
    uploads = seaweedfs.client().list_multipart_uploads(Bucket=location.bucket, Prefix=location.prefix)
    assert uploads.get("Uploads", []) == []
    assert [key for key in objects(seaweedfs, destination) if key.startswith("tmp/")] == []


def test_part_sizes_grow_so_a_huge_file_fits_in_ten_thousand_parts() -> None:
    assert part_size(1) == part_size(PARTS_PER_SIZE) == PART_SIZE
    assert part_size(PARTS_PER_SIZE + 1) == 2 * PART_SIZE
    assert part_size(10_000) == MAX_PART_SIZE
    assert sum(part_size(n) for n in range(1, 10_001)) > 2 * 2**40  # over 2 TiB


def test_recent_unreferenced_blobs_wait_for_the_grace_period(
    seaweedfs: Any, destination: str, store: S3ArtifactStore
) -> None:
    assert store.gc_grace_seconds > 0
    store.put_bytes(f"{RUN}/a", b"deleted just now")
    store.delete(f"{RUN}/a")

    assert store.collect_garbage() == 0  # an upload of the same content may be on its way
    assert len([key for key in objects(seaweedfs, destination) if key.startswith("blobs/")]) == 1

    store.gc_grace_seconds = 0
    assert store.collect_garbage() == len(b"deleted just now")


def test_a_missing_bucket_is_refused_when_the_store_is_opened(s3_env: dict[str, str]) -> None:
    with pytest.raises(StoreUnavailable, match="bucket 'no-such-bucket-here' does not exist") as info:
        open_artifact_store("s3://no-such-bucket-here/x")
    assert "create it" in info.value.message


def test_refused_keys_are_named_when_the_store_is_opened(
    destination: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(StoreUnavailable, match="refused access") as info:
        open_artifact_store(destination)
    assert "AWS_ACCESS_KEY_ID" in info.value.message and "not-the-secret" not in info.value.message


def test_missing_credentials_are_named_when_the_store_is_opened(
    destination: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # No credentials files and no instance metadata service to fall back on.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StoreUnavailable, match="No S3 credentials"):
        open_artifact_store(destination)


def test_an_unreachable_endpoint_is_named_when_the_store_is_opened(destination: str) -> None:
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens there
    with pytest.raises(StoreUnavailable, match="Cannot reach the S3 endpoint http://127.0.0.1:9"):
        open_artifact_store(destination, s3_endpoint_url=nowhere)


def test_without_boto3_the_error_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if it were not installed
    with pytest.raises(StoreUnavailable, match=r"pip install 'cairn-tracker\[s3\]'"):
        open_artifact_store(f"s3://bucket-{uuid.uuid4().hex[:8]}/x")


def test_a_malformed_destination_is_refused_before_any_connection() -> None:
    with pytest.raises(InvalidParameter, match="not a valid S3 bucket name"):
        open_artifact_store("s3://Not_A_Bucket/x")


def test_an_upload_too_large_to_spool_goes_up_through_a_staged_key_and_leaves_nothing(
    seaweedfs: Any, destination: str, store: S3ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_upload, "SPOOL_MAX_BYTES", PART_SIZE + 1)
    data = os.urandom(2 * PART_SIZE + 5)
    staged_keys: list[str] = []
    copy = store._copy
    monkeypatch.setattr(store, "_copy", lambda source, *rest: (staged_keys.append(source), copy(source, *rest)))

    store.put_stream(f"{RUN}/big.bin", (data[i : i + 3 * 2**20] for i in range(0, len(data), 3 * 2**20)))

    assert b"".join(store.iter_bytes(f"{RUN}/big.bin")) == data
    assert len(staged_keys) == 1 and "/tmp/upload-" in f"/{staged_keys[0]}"
    location = parse_s3_url(destination)
    assert seaweedfs.client().list_multipart_uploads(Bucket=location.bucket).get("Uploads", []) == []
    assert [key for key in objects(seaweedfs, destination) if key.startswith("tmp/")] == []


def test_a_spooled_upload_goes_to_its_blob_key_once_in_parallel_parts(
    seaweedfs: Any, destination: str, store: S3ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * PART_SIZE + 7)
    sent: list[tuple[str, int]] = []
    upload_part = store._client.upload_part
    monkeypatch.setattr(store, "_copy", lambda *args: pytest.fail("a spooled upload is never copied"))
    monkeypatch.setattr(
        store._client, "upload_part",
        lambda **kw: (sent.append((kw["Key"], kw["PartNumber"])), upload_part(**kw))[1],
    )  # fmt: skip

    store.put_stream(f"{RUN}/spooled.bin", iter([data]))

    sha = hashlib.sha256(data).hexdigest()
    assert sorted(sent) == [(f"{parse_s3_url(destination).prefix}/blobs/{sha[:2]}/{sha}", n) for n in (1, 2, 3, 4)]
    assert b"".join(store.iter_bytes(f"{RUN}/spooled.bin")) == data
