"""Content digests of tabular data: the same rows give the same digest in any process, on any machine.

A digest is SHA-256 over a canonical byte encoding of the table, never over pickles or
``pandas.util.hash_pandas_object`` (whose output depends on its ``hash_key`` and on pandas'
internal layout). Each column is reduced to a *kind* and up to three byte streams, each hashed
incrementally, so a table is digested chunk by chunk in bounded memory and the chunk size does not
change the result:

=========  ===================================================================  ============
kind       values stream                                                       lengths
=========  ===================================================================  ============
int        int64, little-endian (every signed width, and unsigned up to 32 bits)  —
uint       uint64, little-endian                                               —
float      float64, little-endian; NaN is a null, -0.0 is written as 0.0       —
bool       one byte, 0 or 1                                                    —
datetime   (seconds, nanoseconds) int64 pairs since the epoch, UTC             —
timedelta  (seconds, nanoseconds) int64 pairs                                  —
string     UTF-8 of the values, concatenated                                   int64 chars
object     UTF-8 of ``type:repr`` of each non-string value                     int64 chars
=========  ===================================================================  ============

Nulls (None, NaN, NaT, pd.NA, Arrow nulls) are written as zero/empty values, and their global
row positions (int64) form the null stream. The digest is SHA-256 over a version marker, the row
count, and per column its name, kind and the digests of its streams. Rows are hashed in order;
the pandas index is not part of the content (``reset_index()`` first to include it).

Files: Parquet is digested by content (row batches read with pyarrow), so a DataFrame and the
Parquet file written from it share a digest whatever library version wrote the file; CSV and other
files by their bytes; a folder by its files' relative paths and digests. A URI that Cairn cannot
read (``s3://...``, a table name) is digested as a reference: the URI and its version.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from cairn.errors import InvalidParameter

DIGEST_FORMAT = b"cairn-table-digest/1"
CHUNK_ROWS = 131_072
FILE_BLOCK_BYTES = 1 << 20
PARQUET_SUFFIXES = (".parquet", ".pq")
_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


class _ColumnHasher:
    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.values, self.lengths, self.nulls = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
        self.null_count = 0

    def update(self, values: Any, lengths: np.ndarray | None, null_mask: np.ndarray | None, first_row: int) -> None:
        self.values.update(values)
        if lengths is not None:
            self.lengths.update(np.ascontiguousarray(lengths, dtype="<i8"))
        if null_mask is not None and null_mask.any():
            positions = np.flatnonzero(null_mask).astype("<i8") + first_row
            self.nulls.update(positions)
            self.null_count += len(positions)

    def digest(self) -> bytes:
        h = hashlib.sha256()
        for part in (self.values, self.lengths, self.nulls):
            h.update(part.digest())
        h.update(struct.pack("<q", self.null_count))
        return h.digest()


class TableHasher:
    """Digest a table fed in row chunks (DataFrames or Arrow record batches) of one schema.

    >>> hasher = TableHasher()
    >>> for chunk in pd.read_parquet(...):  # or any iterator of frames
    ...     hasher.update_frame(chunk)
    >>> hasher.hexdigest()
    """

    def __init__(self, extra: bytes = b"") -> None:
        self._columns: list[_ColumnHasher] | None = None
        self._rows = 0
        self._extra = extra

    def update_frame(self, frame: Any) -> None:
        names = [str(c) for c in frame.columns]
        for start in range(0, max(len(frame), 1), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            encoded = [_encode_series(part.iloc[:, i]) for i in range(len(names))]
            self._feed(names, encoded, len(part))

    def update_arrow(self, batch: Any) -> None:
        names = [str(n) for n in batch.schema.names]
        encoded = [_encode_arrow(batch.column(i)) for i in range(len(names))]
        self._feed(names, encoded, batch.num_rows)

    def hexdigest(self) -> str:
        h = hashlib.sha256(DIGEST_FORMAT)
        h.update(struct.pack("<q", self._rows))
        h.update(_framed(self._extra))
        columns = self._columns or []
        h.update(struct.pack("<q", len(columns)))
        for column in columns:
            h.update(_framed(column.name.encode("utf-8", "surrogatepass")))
            h.update(_framed(column.kind.encode()))
            h.update(column.digest())
        return h.hexdigest()

    def _feed(self, names: list[str], encoded: list[_Encoded], rows: int) -> None:
        if self._columns is None:
            self._columns = [_ColumnHasher(n, e.kind) for n, e in zip(names, encoded)]
        if [c.name for c in self._columns] != names:
            raise InvalidParameter("Every chunk of a table must have the same columns, in the same order.")
        if rows == 0:
            return
        for column, enc in zip(self._columns, encoded):
            if enc.kind != column.kind:
                raise InvalidParameter(
                    f"Column '{column.name}' holds {column.kind} values in one chunk and {enc.kind} in another; "
                    "give it one type (for example with astype) before logging."
                )
            column.update(enc.values, enc.lengths, enc.nulls, self._rows)
        self._rows += rows


class _Encoded:
    __slots__ = ("kind", "values", "lengths", "nulls")

    def __init__(self, kind: str, values: Any, lengths: np.ndarray | None = None,
                 nulls: np.ndarray | None = None) -> None:
        self.kind, self.values, self.lengths, self.nulls = kind, values, lengths, nulls


# pandas / NumPy columns ------------------------------------------------------------------------
def _encode_series(series: Any) -> _Encoded:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        categories = series.cat.categories.to_numpy()
        nulls = codes < 0
        if not len(categories):
            return _texts("string", [""] * len(codes), nulls)
        values = categories[np.maximum(codes, 0)]
        if nulls.any():  # a null holds the kind's zero value, as in every other column
            values[nulls] = "" if values.dtype.kind in "OSU" else 0
        return _with_nulls(_encode_numpy(values), nulls)
    arrow = getattr(series.array, "__arrow_array__", None)
    if arrow is not None and pd.api.types.is_string_dtype(dtype):
        try:
            return _encode_arrow(arrow())
        except ImportError:  # Python-backed strings without pyarrow: same bytes, slower path
            return _encode_objects(series.to_numpy(dtype=object))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iubf":
        mask = series.isna().to_numpy()
        numpy_type = {"i": "int64", "u": "uint64" if dtype.itemsize == 8 else "int64", "b": "bool", "f": "float64"}
        target = numpy_type[dtype.kind]
        filled = series.to_numpy(dtype=target, na_value=np.nan if dtype.kind == "f" else 0)
        return _with_nulls(_encode_numpy(filled), mask)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _encode_numpy(series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())
    return _encode_numpy(series.to_numpy())


def _encode_numpy(values: np.ndarray) -> _Encoded:
    kind = values.dtype.kind
    if kind == "f":
        as_float = values.astype("<f8", copy=False)
        nulls = np.isnan(as_float)
        clean = np.where(nulls, 0.0, as_float) + 0.0  # + 0.0 turns -0.0 into 0.0
        return _Encoded("float", np.ascontiguousarray(clean, dtype="<f8"), nulls=nulls)
    if kind == "i" or (kind == "u" and values.dtype.itemsize < 8):
        return _Encoded("int", np.ascontiguousarray(values, dtype="<i8"))
    if kind == "u":
        return _Encoded("uint", np.ascontiguousarray(values, dtype="<u8"))
    if kind == "b":
        return _Encoded("bool", np.ascontiguousarray(values, dtype="u1"))
    if kind in "mM":
        unit, _ = np.datetime_data(values.dtype)
        ticks = values.view("i8")
        nulls = np.isnat(values)
        return _Encoded("datetime" if kind == "M" else "timedelta", _split_ticks(ticks, unit, nulls), nulls=nulls)
    if kind in "OSU":
        return _encode_objects(values.astype(object, copy=False) if kind != "O" else values)
    raise InvalidParameter(f"Cannot digest a column of dtype {values.dtype}; convert it to numbers or strings.")


def _encode_objects(values: np.ndarray) -> _Encoded:
    import pandas as pd

    nulls = np.asarray(pd.isna(values), dtype=bool)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty"):
        texts = np.where(nulls, "", values) if nulls.any() else values
        return _texts("string", texts, nulls)
    texts = np.array([_object_text(v) for v in values], dtype=object)
    texts[nulls] = ""
    return _texts("object", texts, nulls)


def _object_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return f"bytes:{value.hex()}"
    return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"


def _texts(kind: str, texts: Iterable[str], nulls: np.ndarray) -> _Encoded:
    items = list(texts)
    lengths = np.fromiter(map(len, items), dtype="<i8", count=len(items))
    data = "".join(items).encode("utf-8", "surrogatepass")
    return _Encoded(kind, data, lengths=lengths, nulls=nulls)


def _split_ticks(ticks: np.ndarray, unit: str, nulls: np.ndarray) -> np.ndarray:
    if unit not in _NS_PER_UNIT:
        raise InvalidParameter(f"Cannot digest times in unit '{unit}'; convert them to seconds, ms, us or ns.")
    per_second = 1_000_000_000 // _NS_PER_UNIT[unit]
    ticks = np.where(nulls, 0, ticks)
    seconds, rest = np.divmod(ticks, per_second)
    pairs = np.empty((len(ticks), 2), dtype="<i8")
    pairs[:, 0] = seconds
    pairs[:, 1] = rest * _NS_PER_UNIT[unit]
    return pairs


def _with_nulls(enc: _Encoded, mask: np.ndarray) -> _Encoded:
    if enc.nulls is not None:
        mask = mask | enc.nulls
    enc.nulls = mask
    return enc


# Arrow columns (Parquet batches, pandas' Arrow-backed strings) ----------------------------------
def _encode_arrow(array: Any) -> _Encoded:
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    kind_of = pa.types
    if kind_of.is_dictionary(array.type):
        array = array.dictionary_decode()
    typ = array.type
    nulls = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else None
    if kind_of.is_string(typ) or kind_of.is_large_string(typ) or kind_of.is_string_view(typ):
        return _arrow_texts(array, nulls)
    if kind_of.is_integer(typ) or kind_of.is_boolean(typ) or kind_of.is_floating(typ):
        import pyarrow.compute as pc

        fill = False if kind_of.is_boolean(typ) else (np.nan if kind_of.is_floating(typ) else 0)
        filled = pc.fill_null(array, fill) if nulls is not None else array
        enc = _encode_numpy(filled.to_numpy(zero_copy_only=False))
        return _with_nulls(enc, nulls) if nulls is not None else enc
    if kind_of.is_timestamp(typ) or kind_of.is_duration(typ):
        ticks = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        mask = nulls if nulls is not None else np.zeros(len(array), dtype=bool)
        kind = "datetime" if kind_of.is_timestamp(typ) else "timedelta"
        return _Encoded(kind, _split_ticks(ticks, typ.unit, mask), nulls=mask)
    return _encode_series(array.to_pandas())


def _arrow_texts(array: Any, nulls: np.ndarray | None) -> _Encoded:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    if nulls is not None:
        array = pc.fill_null(array, "")
    lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False).astype("<i8")
    offsets = np.frombuffer(array.buffers()[1], dtype="<i8")[array.offset : array.offset + len(array) + 1]
    data_buffer = array.buffers()[2]
    data = b"" if data_buffer is None or len(offsets) == 0 else \
        memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])]
    return _Encoded("string", data, lengths=lengths, nulls=nulls)


# entry points ----------------------------------------------------------------------------------
def digest_frame(frame: Any) -> str:
    """The content digest of a pandas DataFrame (column names, kinds and every value, in row order)."""
    hasher = TableHasher()
    hasher.update_frame(frame)
    return hasher.hexdigest()


def digest_array(array: np.ndarray) -> str:
    """The content digest of a NumPy array: a 2-D array digests like ``pd.DataFrame(array)``, a
    structured array like a frame of its fields; other shapes keep their shape in the digest."""
    return digest_frame(array_frame(array)[0]) if array.ndim <= 2 else _shaped_digest(array)


def array_frame(array: np.ndarray) -> tuple[Any, bytes]:
    """A DataFrame view of an array, with string column names ("0", "1", ... or the field names)."""
    import pandas as pd

    if not isinstance(array, np.ndarray):
        raise InvalidParameter(f"Expected a NumPy array, got {type(array).__name__}.")
    if array.dtype.names:
        return pd.DataFrame({name: array[name] for name in array.dtype.names}), b""
    if array.ndim == 0:
        raise InvalidParameter("A 0-dimensional array is a single value, not a data set.")
    flat = array.reshape(len(array), -1) if array.ndim > 1 else array.reshape(-1, 1)
    frame = pd.DataFrame(flat, columns=[str(i) for i in range(flat.shape[1])], copy=False)
    shape = b"" if array.ndim <= 2 else ("shape:" + ",".join(map(str, array.shape))).encode()
    return frame, shape


def _shaped_digest(array: np.ndarray) -> str:
    frame, shape = array_frame(array)
    hasher = TableHasher(extra=shape)
    hasher.update_frame(frame)
    return hasher.hexdigest()


def digest_file(path: str | os.PathLike[str]) -> str:
    """The digest of a Parquet file (by content), another file (by bytes) or a folder (by its files)."""
    target = Path(path)
    if target.is_dir():
        return _digest_folder(target)
    if not target.is_file():
        raise InvalidParameter(f"'{target}' is not a file or folder.")
    if is_parquet(target):
        return digest_parquet(target)
    h = hashlib.sha256(b"cairn-file-digest/1\0")
    with open(target, "rb") as handle:
        while block := handle.read(FILE_BLOCK_BYTES):
            h.update(block)
    return h.hexdigest()


def digest_parquet(path: Path, batch_rows: int = 65_536) -> str:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidParameter("Reading Parquet needs pyarrow; install it, or log the data as a DataFrame.") from None
    hasher = TableHasher()
    parquet = pq.ParquetFile(path)
    columns = [n for n in parquet.schema_arrow.names if not is_index_column(n)]
    batches = 0
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        hasher.update_arrow(batch)
        batches += 1
    if batches == 0:
        hasher.update_arrow(_empty_batch(parquet.schema_arrow, columns))
    return hasher.hexdigest()


def _empty_batch(schema: Any, columns: list[str]) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_pylist([], schema=pa.schema([schema.field(c) for c in columns]))


def _digest_folder(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InvalidParameter(f"Folder '{root}' holds no data files.")
    h = hashlib.sha256(b"cairn-folder-digest/1\0")
    for file in files:
        h.update(_framed(file.relative_to(root).as_posix().encode()))
        h.update(bytes.fromhex(digest_file(file)))
    return h.hexdigest()


def digest_reference(uri: str, version: str | None = None) -> str:
    """The digest of a reference Cairn cannot read itself: the URI and its version, not the content."""
    h = hashlib.sha256(b"cairn-reference-digest/1\0")
    h.update(_framed(uri.encode()))
    h.update(_framed((version or "").encode()))
    return h.hexdigest()


def is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == b"PAR1"


def is_index_column(name: str) -> bool:
    return name.startswith("__index_level_") and name.endswith("__")


def _framed(data: bytes) -> bytes:
    return struct.pack("<q", len(data)) + data
