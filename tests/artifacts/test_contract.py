"""What every ``ArtifactStore`` does, run on each store: a local folder and S3 (SeaweedFS).

The ``Backing`` helpers look under the store, at its blobs and index entries, the way an operator
(or a failing disk) would: the folder's files, or the bucket's objects.
"""

import hashlib
import io
import multiprocessing
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cairn.artifacts import ArtifactStore, LocalArtifactStore, open_artifact_store, parse_s3_url
from cairn.artifacts.s3 import S3ArtifactStore
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable

RUN = "1/0123abcd/artifacts"
MiB = 1 << 20
# Every S3 call is a network round trip; the concurrency tests do fewer rounds there, each still
# racing the same threads and processes on the same blobs.
S3_ROUNDS_DIVISOR = 4


@dataclass
class Backing:
    """The objects under a store: blob names, leftovers of uploads, and ways to damage them."""

    destination: str
    client: Any = None  # boto3, for an S3 store

    @property
    def _s3(self) -> tuple[str, str]:
        location = parse_s3_url(self.destination)
        return location.bucket, f"{location.prefix}/" if location.prefix else ""

    def _keys(self, under: str) -> list[str]:
        bucket, root = self._s3
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root + under)
        return sorted(item["Key"][len(root):] for page in pages for item in page.get("Contents", []))

    def blob_names(self) -> list[str]:
        """``<aa>/<sha256>`` of every stored blob."""
        if self.client is None:
            blobs = Path(self.destination, "blobs")
            return sorted(f"{p.parent.name}/{p.name}" for p in blobs.glob("*/*") if p.is_file())
        return [key.removeprefix("blobs/") for key in self._keys("blobs/")]

    def upload_leftovers(self) -> list[str]:
        """Staged files or objects, and unfinished multipart uploads."""
        if self.client is None:
            return [p.name for p in Path(self.destination, "tmp").iterdir()]
        bucket, root = self._s3
        pending = self.client.list_multipart_uploads(Bucket=bucket, Prefix=root).get("Uploads", [])
        return self._keys("tmp/") + [upload["Key"] for upload in pending]

    def read(self, name: str) -> bytes:
        if self.client is None:
            return Path(self.destination, name).read_bytes()
        bucket, root = self._s3
        return bytes(self.client.get_object(Bucket=bucket, Key=root + name)["Body"].read())

    def write(self, name: str, data: bytes) -> None:
        if self.client is None:
            path = Path(self.destination, name)
            path.chmod(0o600)
            path.write_bytes(data)
        else:
            bucket, root = self._s3
            self.client.put_object(Bucket=bucket, Key=root + name, Body=data)

    def remove(self, name: str) -> None:
        if self.client is None:
            Path(self.destination, name).unlink()
        else:
            bucket, root = self._s3
            self.client.delete_object(Bucket=bucket, Key=root + name)

    def blob_of(self, store: ArtifactStore, location: str) -> str:
        sha = store.sha256(location)
        return f"blobs/{sha[:2]}/{sha}"

    def corrupt(self, store: ArtifactStore, location: str) -> None:
        """Flip the first byte of ``location``'s blob: same size, different content."""
        blob = self.blob_of(store, location)
        data = self.read(blob)
        self.write(blob, bytes([data[0] ^ 0xFF]) + data[1:])


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def rounds(kind: str) -> Callable[[int], int]:
    return lambda n: n if kind == "local" else n // S3_ROUNDS_DIVISOR


@pytest.fixture
def backing(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Backing:
    if kind == "local":
        return Backing(str(tmp_path / "store"))
    seaweedfs = request.getfixturevalue("seaweedfs")
    request.getfixturevalue("s3_env")
    return Backing(seaweedfs.new_destination(), seaweedfs.client())


@pytest.fixture
def store(backing: Backing) -> Iterator[ArtifactStore]:
    """The store under test; on S3, garbage collection takes blobs however recent they are."""
    if backing.client is None:
        opened: ArtifactStore = LocalArtifactStore(Path(backing.destination))
    else:
        opened = S3ArtifactStore.connect(parse_s3_url(backing.destination), gc_grace_seconds=0)
    yield opened
    opened.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_name(data: bytes) -> str:
    return f"{sha(data)[:2]}/{sha(data)}"


def read_all(store: ArtifactStore, location: str) -> bytes:
    with store.open(location) as handle:
        return handle.read()


def chunked(data: bytes, size: int = 7000) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def failing_chunks() -> Iterator[bytes]:
    for _ in range(10):  # past the S3 store's first multipart part
        yield b"x" * MiB
    raise ConnectionResetError("client went away")


@pytest.mark.parametrize(
    "put",
    [
        lambda store, location, data: store.put_bytes(location, data),
        lambda store, location, data: store.put_bytes(location, data, durable=True),
        lambda store, location, data: store.put_stream(location, chunked(data)),
        lambda store, location, data: store.put_reader(location, io.BytesIO(data)),
    ],
    ids=["bytes", "durable-bytes", "stream", "reader"],
)
@pytest.mark.parametrize("data", [b"", b"hello", bytes(range(256)) * 10_000])
def test_content_round_trips_through_every_put_method(
    store: ArtifactStore, put: Callable[..., FileInfo], data: bytes
) -> None:
    info = put(store, f"{RUN}/data.bin", data)
    assert info == FileInfo(path=f"{RUN}/data.bin", is_dir=False, file_size=len(data))
    assert read_all(store, f"{RUN}/data.bin") == data
    assert b"".join(store.iter_bytes(f"{RUN}/data.bin", chunk_size=4096)) == data
    assert store.sha256(f"{RUN}/data.bin") == sha(data)


def test_a_stream_larger_than_memory_allows_round_trips_in_bounded_memory(store: ArtifactStore) -> None:
    def chunks() -> Iterator[bytes]:  # generated one at a time, never held together
        for i in range(48):
            yield bytes([i % 251]) * MiB

    expected = hashlib.sha256()
    for chunk in chunks():
        expected.update(chunk)

    tracemalloc.start()
    try:
        info = store.put_stream(f"{RUN}/big.bin", chunks())
        read = hashlib.sha256()
        for chunk in store.iter_bytes(f"{RUN}/big.bin"):
            read.update(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert info.file_size == 48 * MiB
    assert store.sha256(f"{RUN}/big.bin") == read.hexdigest() == expected.hexdigest()
    assert peak < 32 * MiB, f"peak {peak / MiB:.1f} MiB for a 48 MiB stream"


def test_a_byte_range_reads_part_of_a_file(store: ArtifactStore) -> None:
    data = bytes(range(256)) * 40
    store.put_bytes(f"{RUN}/a.bin", data)
    assert b"".join(store.iter_range(f"{RUN}/a.bin", 10, 2000, chunk_size=100)) == data[10:2000]
    assert b"".join(store.iter_range(f"{RUN}/a.bin", 0, len(data))) == data
    assert b"".join(store.iter_range(f"{RUN}/a.bin", 5, 5)) == b""


def test_file_round_trip(store: ArtifactStore, tmp_path: Path) -> None:
    src = tmp_path / "model.pkl"
    src.write_bytes(b"\x80\x04weights" * 1000)
    info = store.put_file(f"{RUN}//model/./model.pkl", src)
    assert info == FileInfo(f"{RUN}/model/model.pkl", is_dir=False, file_size=9_000)
    assert read_all(store, f"{RUN}/model/model.pkl") == src.read_bytes()


def test_open_reads_as_much_as_asked(store: ArtifactStore) -> None:
    store.put_bytes(f"{RUN}/a.txt", b"0123456789")
    with store.open(f"{RUN}/a.txt") as handle:
        assert handle.read(3) == b"012"
        assert handle.read() == b"3456789"


def test_directory_round_trip_keeps_layout(store: ArtifactStore, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"A")
    (src / "sub" / "b.txt").write_bytes(b"BB")
    (src / "sub" / "deeper" / "c.txt").write_bytes(b"CCC")

    infos = store.put_directory(f"{RUN}/bundle", src)

    assert [(i.path, i.file_size) for i in infos] == [
        (f"{RUN}/bundle/a.txt", 1),
        (f"{RUN}/bundle/sub/b.txt", 2),
        (f"{RUN}/bundle/sub/deeper/c.txt", 3),
    ]
    assert read_all(store, f"{RUN}/bundle/sub/deeper/c.txt") == b"CCC"


def test_put_directory_names_the_file_it_refuses(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "what?.txt").write_bytes(b"x")
    with pytest.raises(InvalidParameter, match=r"Cannot upload 'what\?\.txt'"):
        store.put_directory(RUN, tmp_path / "src")


def test_missing_local_file_raises_not_found(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nope.bin"):
        store.put_file(f"{RUN}/x", tmp_path / "nope.bin")


def test_identical_content_is_stored_once_and_different_content_apart(store: ArtifactStore, backing: Backing) -> None:
    for location in (f"{RUN}/a.txt", f"{RUN}/b.txt", "2/other/artifacts/c.txt"):
        store.put_bytes(location, b"same content")
    store.put_bytes(f"{RUN}/d.txt", b"other content")

    assert backing.blob_names() == sorted([blob_name(b"same content"), blob_name(b"other content")])


def test_overwrite_replaces_the_index_entry(store: ArtifactStore) -> None:
    store.put_bytes(f"{RUN}/metrics.json", b'{"acc": 0.1}')
    store.put_bytes(f"{RUN}/metrics.json", b'{"acc": 0.9}')
    assert read_all(store, f"{RUN}/metrics.json") == b'{"acc": 0.9}'
    assert store.sha256(f"{RUN}/metrics.json") == sha(b'{"acc": 0.9}')
    assert [i.path for i in store.list(RUN)] == [f"{RUN}/metrics.json"]


def test_listing_root_and_nested_directories(store: ArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"12345")
    store.put_bytes(f"{RUN}/model/conda.yaml", b"abc")
    store.put_bytes(f"{RUN}/plot.png", b"png")
    store.put_bytes("2/run2/artifacts/x", b"x")

    assert store.list("") == [FileInfo("1", is_dir=True), FileInfo("2", is_dir=True)]
    assert store.list(RUN) == [
        FileInfo(path=f"{RUN}/model", is_dir=True),
        FileInfo(path=f"{RUN}/plot.png", is_dir=False, file_size=3),
    ]
    assert store.list(f"{RUN}/model/") == [
        FileInfo(path=f"{RUN}/model/conda.yaml", is_dir=False, file_size=3),
        FileInfo(path=f"{RUN}/model/model.pkl", is_dir=False, file_size=5),
    ]


def test_listing_a_directory_of_many_files(store: ArtifactStore) -> None:
    for n in range(40):
        store.put_bytes(f"{RUN}/many/f{n:03d}", b"x" * n)
    listed = store.list(f"{RUN}/many")
    assert [(i.path, i.file_size) for i in listed] == [(f"{RUN}/many/f{n:03d}", n) for n in range(40)]


@pytest.mark.parametrize("location", [f"{RUN}/plot.png", f"{RUN}/missing", f"{RUN}/a/b/c"])
def test_listing_a_file_or_missing_location_is_empty_like_mlflow(store: ArtifactStore, location: str) -> None:
    store.put_bytes(f"{RUN}/plot.png", b"png")
    assert store.list(location) == []


def test_stat_and_exists_describe_files_and_directories(store: ArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"12345")
    assert store.stat(f"{RUN}/model") == FileInfo(path=f"{RUN}/model", is_dir=True)
    assert store.stat(f"{RUN}/model/model.pkl").file_size == 5
    assert store.stat("") == FileInfo(path="", is_dir=True)
    assert store.exists("") and store.exists(f"{RUN}/model") and store.exists(f"{RUN}/model/model.pkl")
    assert not store.exists(f"{RUN}/model/missing")
    assert not store.exists(f"{RUN}/model/model.pkl/below-a-file")


def test_download_of_a_file(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"weights")
    local = store.download(f"{RUN}/model/model.pkl", tmp_path / "dl")
    assert local == tmp_path / "dl" / "model.pkl"
    assert local.read_bytes() == b"weights"


def test_download_of_a_tree_keeps_layout(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"weights")
    store.put_bytes(f"{RUN}/model/meta/MLmodel", b"flavors: {}")
    store.put_bytes(f"{RUN}/other.txt", b"not downloaded")
    local = store.download(f"{RUN}/model", tmp_path / "dl")
    assert local == tmp_path / "dl" / "model"
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert files == ["meta/MLmodel", "model.pkl"]
    assert (local / "meta" / "MLmodel").read_bytes() == b"flavors: {}"


def test_download_of_the_root_fills_dest_dir(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_bytes("a/b.txt", b"b")
    assert store.download("", tmp_path / "dl") == tmp_path / "dl"
    assert (tmp_path / "dl" / "a" / "b.txt").read_bytes() == b"b"


def test_corrupted_blob_is_detected_on_download(store: ArtifactStore, backing: Backing, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model.pkl", b"weights")
    backing.corrupt(store, f"{RUN}/model.pkl")
    with pytest.raises(StoreUnavailable, match="corrupted") as info:
        store.download(f"{RUN}/model.pkl", tmp_path / "dl")
    assert info.value.http_status == 503
    assert backing.destination not in info.value.message
    assert list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize("damage", ["flipped-byte", "missing"])
def test_damaged_blob_is_detected_when_streaming(store: ArtifactStore, backing: Backing, damage: str) -> None:
    store.put_bytes(f"{RUN}/model.pkl", b"weights")
    if damage == "missing":
        backing.remove(backing.blob_of(store, f"{RUN}/model.pkl"))
    else:
        backing.corrupt(store, f"{RUN}/model.pkl")
    with pytest.raises(StoreUnavailable, match="corrupted"):
        b"".join(store.iter_bytes(f"{RUN}/model.pkl"))


def test_a_corrupted_file_never_streams_whole(store: ArtifactStore, backing: Backing) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: several chunks
    store.put_bytes(f"{RUN}/model.pkl", data)
    backing.corrupt(store, f"{RUN}/model.pkl")
    received = bytearray()
    with pytest.raises(StoreUnavailable, match="corrupted"):
        for chunk in store.iter_bytes(f"{RUN}/model.pkl", chunk_size=64 * 1024):
            received += chunk
    assert 0 < len(received) < len(data)  # the last chunk is held back until the check passes


def test_reupload_repairs_a_truncated_blob(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/a.txt", b"full content")
    backing.write(backing.blob_of(store, f"{RUN}/a.txt"), b"full")
    store.put_bytes(f"{RUN}/b.txt", b"full content")
    assert b"".join(store.iter_bytes(f"{RUN}/a.txt")) == b"full content"


def test_failed_stream_leaves_nothing_visible(store: ArtifactStore, backing: Backing) -> None:
    with pytest.raises(ConnectionResetError):
        store.put_stream(f"{RUN}/half.bin", failing_chunks())

    assert not store.exists(f"{RUN}/half.bin")
    assert store.list(RUN) == []
    assert backing.upload_leftovers() == [] and backing.blob_names() == []


def test_failed_overwrite_keeps_the_previous_version(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/half.bin", b"version 1")

    with pytest.raises(ConnectionResetError):
        store.put_stream(f"{RUN}/half.bin", failing_chunks())

    assert read_all(store, f"{RUN}/half.bin") == b"version 1"
    assert backing.upload_leftovers() == []


@pytest.mark.parametrize(
    ("existing", "new", "rule"),
    [
        ("model", "model/weights.bin", f"'{RUN}/model' is an artifact file"),
        ("model/weights.bin", "model", "is a directory"),
    ],
    ids=["below-a-file", "onto-a-directory"],
)
def test_location_clashing_with_the_tree_is_refused(store: ArtifactStore, existing: str, new: str, rule: str) -> None:
    store.put_bytes(f"{RUN}/{existing}", b"first")

    with pytest.raises(InvalidParameter, match=rule):
        store.put_bytes(f"{RUN}/{new}", b"second")
    assert read_all(store, f"{RUN}/{existing}") == b"first"


@pytest.mark.parametrize("location", ["../escape", "1/../../x", "/etc/passwd", "a\\b", "a%2e%2e"])
def test_unsafe_locations_are_refused_everywhere(store: ArtifactStore, location: str) -> None:
    for call in (store.open, store.list, store.delete, store.stat, lambda loc: store.put_bytes(loc, b"x")):
        with pytest.raises(InvalidParameter):
            call(location)


def test_missing_artifacts_raise_not_found(store: ArtifactStore, backing: Backing, tmp_path: Path) -> None:
    missing = f"{RUN}/missing.txt"
    for call in (
        store.open,
        store.stat,
        store.sha256,
        store.iter_bytes,  # raised by the call itself, before any iteration
        lambda location: store.iter_range(location, 0, 1),
        store.delete,
        lambda location: store.download(location, tmp_path / "dl"),
    ):
        with pytest.raises(NotFound, match=f"'{missing}'") as info:
            call(missing)
        assert backing.destination not in info.value.message
    assert not (tmp_path / "dl").exists()


def test_reading_a_directory_says_it_is_a_directory(store: ArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/weights.bin", b"w")
    for call in (store.open, store.iter_bytes, store.sha256):
        with pytest.raises(NotFound, match="is a directory"):
            call(f"{RUN}/model")


def test_deleting_the_whole_store_is_refused(store: ArtifactStore) -> None:
    with pytest.raises(InvalidParameter):
        store.delete("")


def test_delete_of_a_subtree_hides_all_its_files(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/model/a", b"a")
    store.put_bytes(f"{RUN}/model/sub/b", b"b")
    store.put_bytes(f"{RUN}/keep", b"k")
    store.delete(f"{RUN}/model")
    assert store.list(RUN) == [FileInfo(path=f"{RUN}/keep", is_dir=False, file_size=1)]
    assert not store.exists(f"{RUN}/model/sub/b")
    assert backing.upload_leftovers() == []


def test_garbage_collection_frees_unreferenced_blobs_and_keeps_shared(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/shared-1", b"shared")
    store.put_bytes("2/run2/artifacts/shared-2", b"shared")
    store.put_bytes(f"{RUN}/only", b"only here!")
    store.put_bytes(f"{RUN}/overwritten", b"v1")
    store.put_bytes(f"{RUN}/overwritten", b"v2")
    store.delete(f"{RUN}/shared-1")
    store.delete(f"{RUN}/only")
    assert len(backing.blob_names()) == 4  # delete and overwrite leave blobs for the collector

    assert store.collect_garbage() == len(b"only here!") + len(b"v1")

    assert backing.blob_names() == sorted([blob_name(b"shared"), blob_name(b"v2")])
    assert read_all(store, "2/run2/artifacts/shared-2") == b"shared"
    assert store.collect_garbage() == 0


def test_garbage_collection_refuses_to_run_over_a_damaged_index(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/f", b"v1")
    backing.write(f"tree/{RUN}/f", b"not json")
    with pytest.raises(StoreUnavailable, match="corrupted"):
        store.collect_garbage()
    assert len(backing.blob_names()) == 1


def test_index_entry_cannot_point_outside_the_blob_folder(store: ArtifactStore, backing: Backing) -> None:
    store.put_bytes(f"{RUN}/f", b"v1")
    backing.write(f"tree/{RUN}/f", b'{"sha256": "../../../etc/passwd", "size": 1}')
    with pytest.raises(StoreUnavailable, match="corrupted"):
        store.open(f"{RUN}/f")


def test_eight_threads_writing_many_files_each(
    store: ArtifactStore, backing: Backing, rounds: Callable[[int], int]
) -> None:
    files = rounds(48)

    def body(worker: int, n: int) -> bytes:
        # Odd files share content across threads, so the threads also race on the same blobs.
        return (f"shared {n}" if n % 2 else f"worker {worker} file {n}").encode()

    def write(worker: int) -> None:
        for n in range(files):
            store.put_bytes(f"{RUN}/w{worker}/f{n}.txt", body(worker, n))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))

    for worker in range(8):
        for n in range(files):
            assert read_all(store, f"{RUN}/w{worker}/f{n}.txt") == body(worker, n)
    assert len(backing.blob_names()) == files // 2 + 8 * files // 2
    assert backing.upload_leftovers() == []


def test_threads_writing_the_same_location_leave_one_whole_version(
    store: ArtifactStore, rounds: Callable[[int], int]
) -> None:
    versions = [bytes([v]) * 100_000 for v in range(8)]
    barrier = threading.Barrier(8)

    def write(version: bytes) -> None:
        barrier.wait()
        for _ in range(rounds(12)):
            store.put_bytes(f"{RUN}/contended.bin", version)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, versions))
    assert b"".join(store.iter_bytes(f"{RUN}/contended.bin")) in versions  # and verified


def test_garbage_collection_during_uploads_never_loses_a_referenced_blob(
    backing: Backing, rounds: Callable[[int], int]
) -> None:
    store = open_artifact_store(backing.destination)  # the production settings
    stop = threading.Event()

    def collect() -> None:
        while not stop.is_set():
            store.collect_garbage()

    collector = threading.Thread(target=collect)
    collector.start()
    try:
        for n in range(rounds(200)):
            if n % 3 == 1:
                store.delete(f"{RUN}/f")
            content = f"content {n % 5}".encode()
            store.put_bytes(f"{RUN}/f", content)
            assert b"".join(store.iter_bytes(f"{RUN}/f")) == content
    finally:
        stop.set()
        collector.join()
        store.close()


def write_from_process(destination: str, worker: int, files: int) -> None:
    store = open_artifact_store(destination)
    for n in range(files):
        store.put_bytes(f"{RUN}/same/f{n}", f"identical {n}".encode())
        store.put_bytes(f"{RUN}/p{worker}/f{n}", f"process {worker} {n}".encode())


def test_processes_writing_concurrently_do_not_corrupt_the_store(
    store: ArtifactStore, backing: Backing, rounds: Callable[[int], int]
) -> None:
    files = rounds(32)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_from_process, args=(backing.destination, w, files)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0

    for n in range(files):
        assert read_all(store, f"{RUN}/same/f{n}") == f"identical {n}".encode()
        for w in range(3):
            assert read_all(store, f"{RUN}/p{w}/f{n}") == f"process {w} {n}".encode()
    assert len(backing.blob_names()) == files + 3 * files
