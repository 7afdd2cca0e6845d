"""Reading a download's ``Range`` header: one byte range, clipped to the file; anything else is
the whole file, and a range past the end is a 416 that says how long the file is."""

import pytest

from cairn.errors import RangeNotSatisfiable
from cairn.web.byte_ranges import ByteRange, requested_range

pytestmark = pytest.mark.store_independent(reason="parsing HTTP Range headers; no server or store")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 100, 1000)),
        ("bytes=900-", ByteRange(900, 1000, 1000)),
        ("bytes=990-5000", ByteRange(990, 1000, 1000)),  # clipped to the end
        ("bytes=-10", ByteRange(990, 1000, 1000)),
        ("bytes=-5000", ByteRange(0, 1000, 1000)),
        ("BYTES= 5-5", ByteRange(5, 6, 1000)),
    ],
)
def test_a_single_range_is_served(header: str, expected: ByteRange) -> None:
    assert requested_range(header, 1000) == expected


@pytest.mark.parametrize("header", [None, "", "items=0-1", "bytes=0-1,5-9", "bytes=9-1", "bytes=-", "bytes=a-b"])
def test_other_headers_get_the_whole_file(header: str | None) -> None:
    assert requested_range(header, 1000) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=1000-", 1000), ("bytes=2000-3000", 1000), ("bytes=-0", 1000),
                                              ("bytes=-5", 0), ("bytes=0-", 0)])
def test_a_range_past_the_end_is_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        requested_range(header, size)
    assert info.value.size == size and info.value.http_status == 416


def test_the_content_range_names_the_last_byte_and_the_size() -> None:
    assert ByteRange(100, 1100, 5000).content_range == "bytes 100-1099/5000"
