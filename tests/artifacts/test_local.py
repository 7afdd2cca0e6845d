import hashlib
import io
import multiprocessing
import stat
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable

RUN = "1/0123abcd/artifacts"
MiB = 1 << 20


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "store")


def blob_files(store: LocalArtifactStore) -> list[Path]:
    return sorted(p for p in (store.root / "blobs").glob("*/*") if p.is_file())


def tmp_leftovers(store: LocalArtifactStore) -> list[Path]:
    return list((store.root / "tmp").iterdir())


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(store: LocalArtifactStore, location: str) -> bytes:
    with store.open(location) as handle:
        return handle.read()


def chunked(data: bytes, size: int = 7000) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def corrupt(blob: Path) -> None:
    blob.chmod(stat.S_IRUSR | stat.S_IWUSR)
    data = blob.read_bytes()
    blob.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])  # same size, different content


def failing_chunks() -> Iterator[bytes]:
    yield b"x" * MiB
    yield b"y" * MiB
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
    store: LocalArtifactStore, put: Callable[..., FileInfo], data: bytes
) -> None:
    info = put(store, f"{RUN}/data.bin", data)
    assert info == FileInfo(path=f"{RUN}/data.bin", is_dir=False, file_size=len(data))
    assert read_all(store, f"{RUN}/data.bin") == data
    assert b"".join(store.iter_bytes(f"{RUN}/data.bin", chunk_size=4096)) == data
    assert store.sha256(f"{RUN}/data.bin") == sha(data)


def test_file_round_trip(store: LocalArtifactStore, tmp_path: Path) -> None:
    src = tmp_path / "model.pkl"
    src.write_bytes(b"\x80\x04weights" * 1000)
    info = store.put_file(f"{RUN}//model/./model.pkl", src)
    assert info == FileInfo(f"{RUN}/model/model.pkl", is_dir=False, file_size=9_000)
    assert read_all(store, f"{RUN}/model/model.pkl") == src.read_bytes()


def test_directory_round_trip_keeps_layout(store: LocalArtifactStore, tmp_path: Path) -> None:
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


def test_put_directory_names_the_file_it_refuses(store: LocalArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "what?.txt").write_bytes(b"x")
    with pytest.raises(InvalidParameter, match=r"Cannot upload 'what\?\.txt'"):
        store.put_directory(RUN, tmp_path / "src")


def test_missing_local_file_raises_not_found(store: LocalArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nope.bin"):
        store.put_file(f"{RUN}/x", tmp_path / "nope.bin")


def test_identical_content_is_stored_once_and_different_content_apart(
    store: LocalArtifactStore,
) -> None:
    for location in (f"{RUN}/a.txt", f"{RUN}/b.txt", "2/other/artifacts/c.txt"):
        store.put_bytes(location, b"same content")
    store.put_bytes(f"{RUN}/d.txt", b"other content")

    same, other = sha(b"same content"), sha(b"other content")
    stored = {(b.parent.name, b.name) for b in blob_files(store)}
    assert stored == {(same[:2], same), (other[:2], other)}


def test_overwrite_replaces_the_index_entry(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/metrics.json", b'{"acc": 0.1}')
    store.put_bytes(f"{RUN}/metrics.json", b'{"acc": 0.9}')
    assert read_all(store, f"{RUN}/metrics.json") == b'{"acc": 0.9}'
    assert store.sha256(f"{RUN}/metrics.json") == sha(b'{"acc": 0.9}')
    assert [i.path for i in store.list(RUN)] == [f"{RUN}/metrics.json"]


def test_listing_root_and_nested_directories(store: LocalArtifactStore) -> None:
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


@pytest.mark.parametrize("location", [f"{RUN}/plot.png", f"{RUN}/missing", f"{RUN}/a/b/c"])
def test_listing_a_file_or_missing_location_is_empty_like_mlflow(
    store: LocalArtifactStore, location: str
) -> None:
    store.put_bytes(f"{RUN}/plot.png", b"png")
    assert store.list(location) == []


def test_stat_and_exists_describe_files_and_directories(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"12345")
    assert store.stat(f"{RUN}/model") == FileInfo(path=f"{RUN}/model", is_dir=True)
    assert store.stat(f"{RUN}/model/model.pkl").file_size == 5
    assert store.exists(f"{RUN}/model") and store.exists(f"{RUN}/model/model.pkl")
    assert not store.exists(f"{RUN}/model/missing")
    assert not store.exists(f"{RUN}/model/model.pkl/below-a-file")


def test_blob_path_points_at_the_content(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/a.txt", b"sendfile me")
    assert store.blob_path(f"{RUN}/a.txt").read_bytes() == b"sendfile me"


def test_download_of_a_file(store: LocalArtifactStore, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"weights")
    local = store.download(f"{RUN}/model/model.pkl", tmp_path / "dl")
    assert local == tmp_path / "dl" / "model.pkl"
    assert local.read_bytes() == b"weights"


def test_download_of_a_tree_keeps_layout(store: LocalArtifactStore, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model/model.pkl", b"weights")
    store.put_bytes(f"{RUN}/model/meta/MLmodel", b"flavors: {}")
    store.put_bytes(f"{RUN}/other.txt", b"not downloaded")
    local = store.download(f"{RUN}/model", tmp_path / "dl")
    assert local == tmp_path / "dl" / "model"
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert files == ["meta/MLmodel", "model.pkl"]
    assert (local / "meta" / "MLmodel").read_bytes() == b"flavors: {}"


def test_download_of_the_root_fills_dest_dir(store: LocalArtifactStore, tmp_path: Path) -> None:
    store.put_bytes("a/b.txt", b"b")
    assert store.download("", tmp_path / "dl") == tmp_path / "dl"
    assert (tmp_path / "dl" / "a" / "b.txt").read_bytes() == b"b"


def test_corrupted_blob_is_detected_on_download(store: LocalArtifactStore, tmp_path: Path) -> None:
    store.put_bytes(f"{RUN}/model.pkl", b"weights")
    corrupt(store.blob_path(f"{RUN}/model.pkl"))
    with pytest.raises(StoreUnavailable, match="corrupted") as info:
        store.download(f"{RUN}/model.pkl", tmp_path / "dl")
    assert info.value.http_status == 503
    assert str(store.root) not in info.value.message
    assert list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize("damage", [corrupt, Path.unlink], ids=["flipped-byte", "missing"])
def test_damaged_blob_is_detected_when_streaming(
    store: LocalArtifactStore, damage: Callable[[Path], None]
) -> None:
    store.put_bytes(f"{RUN}/model.pkl", b"weights")
    damage(store.blob_path(f"{RUN}/model.pkl"))
    with pytest.raises(StoreUnavailable, match="corrupted"):
        b"".join(store.iter_bytes(f"{RUN}/model.pkl"))


def test_reupload_repairs_a_truncated_blob(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/a.txt", b"full content")
    store.blob_path(f"{RUN}/a.txt").write_bytes(b"full")
    store.put_bytes(f"{RUN}/b.txt", b"full content")
    assert b"".join(store.iter_bytes(f"{RUN}/a.txt")) == b"full content"


def test_failed_stream_leaves_nothing_visible(store: LocalArtifactStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put_stream(f"{RUN}/half.bin", failing_chunks())

    assert not store.exists(f"{RUN}/half.bin")
    assert store.list(RUN) == []
    assert tmp_leftovers(store) == [] and blob_files(store) == []


def test_failed_overwrite_keeps_the_previous_version(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/half.bin", b"version 1")

    with pytest.raises(ConnectionResetError):
        store.put_stream(f"{RUN}/half.bin", failing_chunks())

    assert read_all(store, f"{RUN}/half.bin") == b"version 1"
    assert tmp_leftovers(store) == []


@pytest.mark.parametrize(
    ("existing", "new", "rule"),
    [
        ("model", "model/weights.bin", f"'{RUN}/model' is an artifact file"),
        ("model/weights.bin", "model", "is a directory"),
    ],
    ids=["below-a-file", "onto-a-directory"],
)
def test_location_clashing_with_the_tree_is_refused(
    store: LocalArtifactStore, existing: str, new: str, rule: str
) -> None:
    store.put_bytes(f"{RUN}/{existing}", b"first")

    with pytest.raises(InvalidParameter, match=rule):
        store.put_bytes(f"{RUN}/{new}", b"second")
    assert read_all(store, f"{RUN}/{existing}") == b"first"


@pytest.mark.parametrize("location", ["../escape", "1/../../x", "/etc/passwd", "a\\b", "a%2e%2e"])
def test_unsafe_locations_are_refused_everywhere(store: LocalArtifactStore, location: str) -> None:
    for call in (store.open, store.list, store.delete, lambda loc: store.put_bytes(loc, b"x")):
        with pytest.raises(InvalidParameter):
            call(location)


def test_missing_artifacts_raise_not_found(store: LocalArtifactStore, tmp_path: Path) -> None:
    missing = f"{RUN}/missing.txt"
    for call in (
        store.open,
        store.stat,
        store.sha256,
        store.blob_path,
        store.iter_bytes,  # raised by the call itself, before any iteration
        store.delete,
        lambda location: store.download(location, tmp_path / "dl"),
    ):
        with pytest.raises(NotFound, match=f"'{missing}'") as info:
            call(missing)
        assert str(store.root) not in info.value.message
    assert not (tmp_path / "dl").exists()


def test_reading_a_directory_says_it_is_a_directory(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/weights.bin", b"w")
    for call in (store.open, store.iter_bytes, store.sha256):
        with pytest.raises(NotFound, match="is a directory"):
            call(f"{RUN}/model")


def test_deleting_the_whole_store_is_refused(store: LocalArtifactStore) -> None:
    with pytest.raises(InvalidParameter):
        store.delete("")


def test_delete_of_a_subtree_hides_all_its_files(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/model/a", b"a")
    store.put_bytes(f"{RUN}/model/sub/b", b"b")
    store.put_bytes(f"{RUN}/keep", b"k")
    store.delete(f"{RUN}/model")
    assert store.list(RUN) == [FileInfo(path=f"{RUN}/keep", is_dir=False, file_size=1)]
    assert tmp_leftovers(store) == []


def test_garbage_collection_frees_unreferenced_blobs_and_keeps_shared(
    store: LocalArtifactStore,
) -> None:
    store.put_bytes(f"{RUN}/shared-1", b"shared")
    store.put_bytes("2/run2/artifacts/shared-2", b"shared")
    store.put_bytes(f"{RUN}/only", b"only here!")
    store.put_bytes(f"{RUN}/overwritten", b"v1")
    store.put_bytes(f"{RUN}/overwritten", b"v2")
    store.delete(f"{RUN}/shared-1")
    store.delete(f"{RUN}/only")
    assert len(blob_files(store)) == 4  # delete and overwrite leave blobs for the collector

    assert store.collect_garbage() == len(b"only here!") + len(b"v1")

    assert {p.name for p in blob_files(store)} == {sha(b"shared"), sha(b"v2")}
    assert read_all(store, "2/run2/artifacts/shared-2") == b"shared"
    assert store.collect_garbage() == 0


def test_garbage_collection_refuses_to_run_over_a_damaged_index(
    store: LocalArtifactStore,
) -> None:
    store.put_bytes(f"{RUN}/f", b"v1")
    (store.root / "tree" / RUN / "f").write_text("not json")
    with pytest.raises(StoreUnavailable, match="corrupted"):
        store.collect_garbage()
    assert len(blob_files(store)) == 1


def test_index_entry_cannot_point_outside_the_blob_folder(store: LocalArtifactStore) -> None:
    store.put_bytes(f"{RUN}/f", b"v1")
    (store.root / "tree" / RUN / "f").write_text('{"sha256": "../../../etc/passwd", "size": 1}')
    with pytest.raises(StoreUnavailable, match="corrupted"):
        store.open(f"{RUN}/f")


def test_tmp_folder_is_private(store: LocalArtifactStore) -> None:
    assert stat.S_IMODE((store.root / "tmp").stat().st_mode) == 0o700


def test_eight_threads_writing_fifty_files_each(store: LocalArtifactStore) -> None:
    def body(worker: int, n: int) -> bytes:
        # Odd files share content across threads, so the threads also race on the same blobs.
        return (f"shared {n}" if n % 2 else f"worker {worker} file {n}").encode()

    def write(worker: int) -> None:
        for n in range(50):
            store.put_bytes(f"{RUN}/w{worker}/f{n}.txt", body(worker, n))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))

    for worker in range(8):
        for n in range(50):
            assert read_all(store, f"{RUN}/w{worker}/f{n}.txt") == body(worker, n)
    assert len(blob_files(store)) == 25 + 8 * 25
    assert tmp_leftovers(store) == []


def test_threads_writing_the_same_location_leave_one_whole_version(
    store: LocalArtifactStore,
) -> None:
    versions = [bytes([v]) * 100_000 for v in range(8)]
    barrier = threading.Barrier(8)
    def write(version: bytes) -> None:
        barrier.wait()
        for _ in range(10):
            store.put_bytes(f"{RUN}/contended.bin", version)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, versions))
    assert b"".join(store.iter_bytes(f"{RUN}/contended.bin")) in versions  # and verified


def test_garbage_collection_during_uploads_never_loses_a_referenced_blob(
    store: LocalArtifactStore,
) -> None:
    stop = threading.Event()

    def collect() -> None:
        while not stop.is_set():
            store.collect_garbage()

    collector = threading.Thread(target=collect)
    collector.start()
    try:
        for n in range(200):
            if n % 3 == 1:
                store.delete(f"{RUN}/f")
            content = f"content {n % 5}".encode()
            store.put_bytes(f"{RUN}/f", content)
            assert b"".join(store.iter_bytes(f"{RUN}/f")) == content
    finally:
        stop.set()
        collector.join()


def write_from_process(root: str, worker: int) -> None:
    store = LocalArtifactStore(Path(root))
    for n in range(30):
        store.put_bytes(f"{RUN}/same/f{n}", f"identical {n}".encode())
        store.put_bytes(f"{RUN}/p{worker}/f{n}", f"process {worker} {n}".encode())


def test_processes_writing_concurrently_do_not_corrupt_the_store(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    args = (str(tmp_path / "store"),)
    workers = [context.Process(target=write_from_process, args=(*args, w)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0

    store = LocalArtifactStore(tmp_path / "store")
    for n in range(30):
        assert read_all(store, f"{RUN}/same/f{n}") == f"identical {n}".encode()
        for w in range(3):
            assert read_all(store, f"{RUN}/p{w}/f{n}") == f"process {w} {n}".encode()
    assert len(blob_files(store)) == 30 + 3 * 30


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
