"""Content digests of real DataFrames, arrays and files: stable across processes and copies,
changed by a single cell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cairn.datasets.digest import TableHasher, digest_array, digest_file, digest_frame, digest_reference
from cairn.errors import InvalidParameter

pytestmark = pytest.mark.store_independent(reason="digests of in-memory tables; no store")

SEED = 20240501


def make_frame(rows: int = 5_000, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, size=rows),
        "income": rng.normal(50_000, 12_000, size=rows),
        "city": rng.choice(["Lyon", "Oslo", "Kyiv", "Lima"], size=rows),
        "churned": rng.random(rows) < 0.2,
        "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**6, size=rows), unit="s"),
    })
    frame.loc[::97, "income"] = np.nan
    frame.loc[::89, "city"] = None
    return frame


SCRIPT = """
import sys
import numpy as np, pandas as pd
sys.path.insert(0, {tests!r})
from test_digest import make_frame
from cairn.datasets.digest import digest_file, digest_frame
print(digest_frame(make_frame()))
print(digest_file({parquet!r}))
"""


def test_digest_is_the_same_in_another_process_with_another_hash_seed(tmp_path: Path) -> None:
    frame = make_frame()
    parquet = tmp_path / "data.parquet"
    frame.to_parquet(parquet)
    script = SCRIPT.format(tests=str(Path(__file__).parent), parquet=str(parquet))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [digest_frame(frame), digest_file(parquet)]


def test_row_identical_copies_share_a_digest() -> None:
    frame = make_frame()
    rebuilt = pd.DataFrame({c: frame[c].tolist() for c in frame.columns}).astype(frame.dtypes.to_dict())
    filtered = frame[frame["age"] > 0]  # same rows, a non-default index object
    assert digest_frame(frame.copy()) == digest_frame(rebuilt) == digest_frame(filtered) == digest_frame(frame)


def test_changing_one_cell_changes_the_digest() -> None:
    frame = make_frame()
    changed = frame.copy()
    changed.loc[1234, "income"] = changed.loc[1234, "income"] + 0.01
    renamed = frame.rename(columns={"age": "age_years"})
    reordered = frame.iloc[::-1].reset_index(drop=True)
    digests = {digest_frame(frame), digest_frame(changed), digest_frame(renamed), digest_frame(reordered)}
    assert len(digests) == 4


def test_one_changed_string_among_many_changes_the_digest() -> None:
    frame = make_frame()
    changed = frame.copy()
    changed.loc[4999, "city"] = "Lyon " if changed.loc[4999, "city"] == "Lyon" else "Lyon"
    assert digest_frame(frame) != digest_frame(changed)


def test_digest_does_not_depend_on_the_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = make_frame()
    whole = digest_frame(frame)
    monkeypatch.setattr("cairn.datasets.digest.CHUNK_ROWS", 333)
    assert digest_frame(frame) == whole
    hasher = TableHasher()
    for start in range(0, len(frame), 1000):
        hasher.update_frame(frame.iloc[start : start + 1000])
    assert hasher.hexdigest() == whole


def test_string_storage_and_categories_do_not_change_the_digest() -> None:
    frame = make_frame()
    as_objects = frame.astype({"city": object})
    as_category = frame.astype({"city": "category"})
    assert digest_frame(frame) == digest_frame(as_objects) == digest_frame(as_category)


def test_null_and_empty_string_are_different_content() -> None:
    with_null = pd.DataFrame({"s": ["a", None, "b"]})
    with_empty = pd.DataFrame({"s": ["a", "", "b"]})
    assert digest_frame(with_null) != digest_frame(with_empty)


def test_parquet_file_digests_like_the_frame_it_was_written_from(tmp_path: Path) -> None:
    frame = make_frame()
    frame["count"] = pd.array([1, None, 3, 4, 5] * 1000, dtype="Int64")
    path = tmp_path / "part.parquet"
    frame.to_parquet(path, row_group_size=700)
    assert digest_file(path) == digest_frame(frame)


def test_csv_file_digest_follows_its_bytes_and_a_copy_matches(tmp_path: Path) -> None:
    frame = make_frame(500)
    first, copy = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(first, index=False)
    copy.write_bytes(first.read_bytes())
    assert digest_file(first) == digest_file(copy)
    copy.write_bytes(first.read_bytes().replace(b"Oslo", b"Osla", 1))
    assert digest_file(first) != digest_file(copy)


def test_folder_digest_covers_file_names_and_contents(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    make_frame(300).to_parquet(folder / "part-0.parquet")
    make_frame(300, seed=2).to_parquet(folder / "part-1.parquet")
    before = digest_file(folder)
    (folder / "part-1.parquet").rename(folder / "part-2.parquet")
    assert digest_file(folder) != before


def test_two_dimensional_array_digests_like_its_frame() -> None:
    array = np.random.default_rng(SEED).normal(size=(200, 3))
    frame = pd.DataFrame(array, columns=["0", "1", "2"])
    assert digest_array(array) == digest_frame(frame)
    assert digest_array(array.reshape(200, 3, 1)) != digest_array(array)


def test_reference_digest_changes_with_the_version() -> None:
    assert digest_reference("s3://bucket/sales.parquet", "v1") == digest_reference("s3://bucket/sales.parquet", "v1")
    assert digest_reference("s3://bucket/sales.parquet", "v1") != digest_reference("s3://bucket/sales.parquet", "v2")


def test_a_missing_file_is_an_invalid_parameter(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="not a file or folder"):
        digest_file(tmp_path / "missing.parquet")
