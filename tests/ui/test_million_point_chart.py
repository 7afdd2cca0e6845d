"""A metric of 1,000,000 points on the run page: the chart draws from a few hundred buckets, the
one-step spikes reach the top of the plot (per-bucket max), and zooming fetches that range again.

The points are written straight into the server's store (``cairn.store``), a transaction per
100,000: logging a million points over HTTP would take minutes, and one transaction for all of them
can hold SQLite's write lock past the server's busy timeout on a loaded machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cairn.entities import Metric
from cairn.store import metrics as metric_rows
from cairn.store.database import open_database
from cairn.tracking import experiments, runs

from .conftest import shoot

pytestmark = pytest.mark.slow

POINTS = 1_000_000
SPIKES = {123_457: 40.0, 777_777: 50.0}
CHUNK = 100_000


@dataclass
class Series:
    url: str
    run_id: str


@pytest.fixture(scope="module")
def series(server_factory: Callable[..., Any]) -> Series:
    server = server_factory()
    db = open_database(server.store_uri)
    try:
        run_id = runs.create_run(db, experiments.create_experiment(db, "long"), run_name="million").info.run_id
        for start in range(0, POINTS, CHUNK):
            with db.write() as tx:
                metric_rows.insert_metrics(tx, run_id, [
                    Metric("loss", SPIKES.get(step, 2.0 / (1 + step / 50_000)), 1_000 + step, step)
                    for step in range(start, start + CHUNK)
                ])  # fmt: skip
    finally:
        db.close()
    return Series(server.url, run_id)


# Blue-dominant pixels (the line and the min..max band) in the top half of the plot area, in a
# strip 2% wide around x = `at` (a fraction of the plot's width): the series is below 2 there
# and the y axis reaches the spikes (40 and 50), so only a spike at that step can draw there.
_SPIKE_DRAWN = """(figure, at) => {
    const canvas = figure.querySelector('canvas');
    const over = figure.querySelector('.u-over').getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    const x = Math.round((over.left - box.left + over.width * (at - 0.01)) * scale);
    const y = Math.round((over.top - box.top) * scale);
    const data = canvas.getContext('2d').getImageData(x, y, Math.round(over.width * 0.02 * scale),
                                                      Math.round(over.height * scale / 2)).data;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 40 && data[i + 2] > data[i] + 60) blue++;
    return blue;
}"""


def spike_drawn(figure, step: int, start: int, end: int) -> bool:  # type: ignore[no-untyped-def]
    return figure.evaluate(_SPIKE_DRAWN, (step - start) / (end - start)) > 0


def test_a_million_points_draw_from_buckets_with_every_spike(page, series: Series):
    with page.expect_response(lambda r: "/metric-series" in r.url) as fetched:
        page.goto(f"{series.url}/runs/{series.run_id}")
        figure = page.locator("figure.chart[data-key='loss']")
        figure.scroll_into_view_if_needed()
    first = fetched.value.json()
    page.wait_for_selector("figure.chart[data-key='loss'][data-drawn='true']")
    assert not first["raw"] and len(first["x"]) <= 1280
    assert set(SPIKES.values()) <= set(first["max"])  # each spike keeps its own bucket's max
    assert spike_drawn(figure, 777_777, 0, POINTS - 1) and spike_drawn(figure, 123_457, 0, POINTS - 1)
    assert not spike_drawn(figure, 500_000, 0, POINTS - 1)  # the check sees no spike where there is none
    assert re.match(r"Steps 0 to 999999: \d+ buckets", figure.locator(".chart-status").inner_text())
    shoot(page, "chart-million")

    box = figure.locator(".u-over").bounding_box()
    left = box["x"] + box["width"] * 0.70
    with page.expect_response(lambda r: "/metric-series" in r.url) as refetched:
        page.mouse.move(left, box["y"] + 40)
        page.mouse.down()
        page.mouse.move(left + box["width"] * 0.12, box["y"] + 40, steps=5)
        page.mouse.up()
    zoomed = refetched.value.json()
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss']\").dataset.fetches === '2'")
    page.wait_for_function("document.querySelector(\"figure.chart[data-key='loss'] .chart-status\").textContent"
                           f".startsWith('Steps {zoomed['start']} ')")
    assert zoomed["start"] > 600_000 and zoomed["end"] < 900_000
    assert zoomed["start"] <= 777_777 <= zoomed["end"] and 50.0 in zoomed["max"]
    assert zoomed["x"][-1] - zoomed["x"][0] < first["x"][-1] - first["x"][0]
    assert spike_drawn(figure, 777_777, zoomed["start"], zoomed["end"])
    shoot(page, "chart-million-zoomed")
