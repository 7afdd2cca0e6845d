"""The run page of `cairn server`'s UI lists a run's media per key and step, with thumbnails, and
previews a logged table as a table."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest

import cairn
from cairn.client import fluent, tracking_uri


@pytest.fixture
def server_url(server_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    server = server_factory()
    fluent.set_tracking_uri(server.url)
    try:
        yield server.url
    finally:
        while fluent.active_run() is not None:
            fluent.end_run()
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()


def test_the_run_page_lists_media_and_previews_a_table(server_url: str) -> None:
    with cairn.start_run() as run:
        for step in (0, 1):
            cairn.log_image(np.full((8, 8), step * 200, dtype=np.uint8), "masks", step=step)
        cairn.log_table({"label": ["cat", "dog"], "p": [0.9, 0.2]}, "predictions")
        cairn.log_text("all good", "notes.txt")
    media = cairn.Client().list_media(run.run_id)
    with httpx.Client(base_url=server_url, timeout=30) as http:
        page = http.get(f"/runs/{run.run_id}")
        assert page.status_code == 200
        body = html.unescape(page.text)
        assert 'id="media-h"' in body
        for item in media:
            assert f"preview?path={quote(item.path, safe='')}" in page.text
        thumbs = [m.preview for m in media if m.preview]
        assert len(thumbs) == 2 and all(f"image?path={quote(t, safe='')}" in page.text for t in thumbs)
        image = http.get(f"/runs/{run.run_id}/image", params={"path": thumbs[0]})
        assert image.status_code == 200 and image.content[:4] == b"RIFF"  # the WebP preview
        preview = http.get(f"/runs/{run.run_id}/preview", params={"path": "tables/predictions.json"})
        assert preview.status_code == 200
        assert "<th scope=\"col\">label</th>" in preview.text and "<td>dog</td>" in preview.text
