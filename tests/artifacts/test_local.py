"""What only the folder store does: hand a blob's path to sendfile, keep its staging folder
private, and write a 200 MB stream in chunks. Everything a store must do is in test_contract.py."""

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.artifacts import LocalArtifactStore, open_artifact_store

RUN = "1/0123abcd/artifacts"
MiB = 1 << 20


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "store")


def test_a_folder_destination_opens_the_folder_store(tmp_path: Path) -> None:
    opened = open_artifact_store(f"file://{tmp_path}/art")
    assert isinstance(opened, LocalArtifactStore) and opened.destination == str(tmp_path / "art")
    assert (tmp_path / "art" / "blobs").is_dir()


def test_blob_path_points_at_the_content(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/a.txt", b"sendfile me")
    assert store.blob_path(f"{RUN}/a.txt").read_bytes() == b"sendfile me"


def test_tmp_folder_is_private(store: LocalArtifactStore) -> None:
    assert stat.S_IMODE((store.root / "tmp").stat().st_mode) == 0o700


def test_200_mb_stream_is_written_in_chunks(store: LocalArtifactStore) -> None:
    def chunks() -> Iterator[bytes]:  # generated one at a time, never held together
        for i in range(200):
            yield bytes([i % 251]) * MiB

    expected = hashlib.sha256()
    for chunk in chunks():
        expected.update(chunk)

    info = store.put_stream(f"{RUN}/big.bin", chunks())

    assert info.file_size == 200 * MiB
    assert store.sha256(f"{RUN}/big.bin") == expected.hexdigest()
    assert store.blob_path(f"{RUN}/big.bin").stat().st_size == 200 * MiB
