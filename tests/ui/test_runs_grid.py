"""The runs grid at 10,000 runs in a real browser: only the rows in view are in the DOM however far
it scrolls, sorting, filtering (OR, and a malformed filter), picking columns, grouping with
min/mean/max, child runs under their parent, selecting runs to compare, the view in the URL, and
the first page without JavaScript.

The runs are written straight into the server's store (one transaction through
``cairn.store``), not logged over HTTP one by one: ten thousand runs take seconds that way.
"""

from __future__ import annotations

import re
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from cairn.entities import Metric, RunInfo
from cairn.store import metrics as metric_rows
from cairn.store import runs as run_rows
from cairn.store.database import open_database, refresh_statistics
from cairn.tracking import experiments
from cairn.tracking.locations import run_artifact_uri

from .conftest import shoot

pytestmark = pytest.mark.slow

RUNS = 10_000
CHILDREN = 3
OPTIMIZERS = ("adam", "sgd", "rmsprop")
MAX_DOM_ROWS = 80  # what the viewport shows plus the overscan, never thousands
START = 1_700_000_000_000


def accuracy(i: int) -> float:
    return round(0.5 + 0.45 * ((i * 7919) % RUNS) / RUNS, 6)


@dataclass
class Grid:
    url: str
    experiment_id: str
    parent_id: str = ""
    child_ids: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # run name -> id

    @property
    def page_url(self) -> str:
        return f"{self.url}/experiments/{self.experiment_id}"


def seed_grid(db_url: str, url: str) -> Grid:
    db = open_database(db_url)
    try:
        grid = Grid(url, experiments.create_experiment(db, "grid"))
        location = experiments.get_experiment(db, grid.experiment_id).artifact_location
        with db.write() as tx:
            def add(name: str, start: int, params: dict[str, str], points: list[Metric], tags: dict[str, str]) -> str:
                run_id = uuid.uuid4().hex
                info = RunInfo(run_id, grid.experiment_id, name, "ana", "FINISHED", start, start + 65_000,
                               run_artifact_uri(location, run_id))
                run_rows.insert_run(tx, info, {"mlflow.runName": name, **tags})
                run_rows.insert_params(tx, run_id, params)
                metric_rows.insert_metrics(tx, run_id, points)
                grid.ids[name] = run_id
                return run_id

            for i in range(RUNS):
                add(f"grid-{i:05d}", START + i * 1000, {"optimizer": OPTIMIZERS[i % 3], "lr": str(10 ** -(1 + i % 4))},
                    [Metric("accuracy", accuracy(i), 1, 0), Metric("loss", 1 - accuracy(i), 1, 0)],
                    {"team": "vision" if i % 2 else "tabular"})
            grid.parent_id = add("grid-parent", START + RUNS * 1000, {}, [], {})
            grid.child_ids = [add(f"grid-child-{c}", START + RUNS * 1000 + c, {}, [Metric("accuracy", 0.1, 1, 0)],
                                  {"mlflow.parentRunId": grid.parent_id}) for c in range(CHILDREN)]
        # Ten thousand runs in one transaction, then pages at once: what a restore does after the
        # same bulk load, before PostgreSQL's autovacuum would have gathered statistics.
        refresh_statistics(db)
        return grid
    finally:
        db.close()


@pytest.fixture(scope="module")
def grid(server_factory: Callable[..., Any]) -> Grid:
    server = server_factory()
    return seed_grid(server.store_uri, server.url)


def open_grid(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.wait_for_selector("#runs[data-ready='true']")


def run_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("table.runs-table tbody tr.run td.name > a").all_inner_texts()


def test_scrolling_to_the_last_of_10000_runs_keeps_the_dom_small(page, grid: Grid):
    open_grid(page, grid.page_url)
    assert page.locator("#grid-count").inner_text() == "10,004 runs (10,001 top-level)"
    assert run_names(page)[:2] == ["grid-parent", "grid-09999"]
    assert page.locator("table.runs-table tbody tr").count() < MAX_DOM_ROWS
    shoot(page, "grid-top")
    scroller = page.locator(".grid-scroll")
    scroller.evaluate("el => el.scrollTop = el.scrollHeight")
    last = page.locator("tr.run", has=page.get_by_role("link", name="grid-00000", exact=True))
    last.wait_for()
    assert last.is_visible()
    assert page.locator("table.runs-table tbody tr").count() < MAX_DOM_ROWS
    assert page.locator("table.runs-table").get_attribute("aria-rowcount") == str(10_001 + 1)
    scroller.evaluate("el => el.scrollTop = el.scrollHeight / 2")
    page.locator("tr.run", has=page.get_by_role("link", name=re.compile(r"grid-0(49|50)\d\d"))).first.wait_for()
    assert page.locator("table.runs-table tbody tr").count() < MAX_DOM_ROWS
    shoot(page, "grid-middle")


def test_sorting_by_a_metric_orders_every_run_on_the_server(page, grid: Grid):
    open_grid(page, grid.page_url)
    page.get_by_role("link", name="metrics.accuracy").click()
    page.wait_for_url(re.compile(r"order=metrics.%60accuracy%60\+DESC"))
    best = max(range(RUNS), key=accuracy)
    assert run_names(page)[0] == f"grid-{best:05d}"
    header = page.get_by_role("columnheader", name="metrics.accuracy")
    assert header.get_attribute("aria-sort") == "descending"
    page.locator(".grid-scroll").evaluate("el => el.scrollTop = el.scrollHeight")
    worst = min(range(RUNS), key=accuracy)
    page.locator("tr.run", has=page.get_by_role("link", name=f"grid-{worst:05d}", exact=True)).wait_for()
    page.locator("tr.run", has=page.get_by_role("link", name="grid-parent")).wait_for()
    assert run_names(page)[-2:] == [f"grid-{worst:05d}", "grid-parent"]  # no accuracy: missing values sort last


def test_an_or_filter_and_a_malformed_one(page, grid: Grid):
    open_grid(page, grid.page_url)
    page.get_by_label("Filter runs").fill("metrics.accuracy >= 0.9499 OR (params.optimizer = 'sgd' AND params.lr = '0.1')")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"filter="))
    expected = {i for i in range(RUNS) if accuracy(i) >= 0.9499 or (i % 3 == 1 and i % 4 == 0)}
    assert page.locator("#grid-count").inner_text() == f"{len(expected):,} runs"
    shoot(page, "grid-filtered")
    page.get_by_label("Filter runs").fill("metrics.accuracy > 0.5 AND (params.lr = '0.1'")
    page.get_by_role("button", name="Apply").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "unexpected end at position 45" in alert.inner_text()
    assert alert.locator("mark").inner_text().strip() == ""
    assert page.get_by_label("Filter runs").get_attribute("aria-invalid") == "true"
    assert not page.locator(".grid-scroll").is_visible()
    shoot(page, "grid-bad-filter")


def test_picking_a_tag_column(page, grid: Grid):
    open_grid(page, grid.page_url)
    page.locator("summary", has_text="Columns").click()
    page.get_by_label("Find a column").fill("tea")
    assert not page.get_by_role("checkbox", name="accuracy").is_visible()
    page.get_by_role("checkbox", name="team").check()
    page.wait_for_url(re.compile(r"cols=tags.team"))
    header = page.get_by_role("columnheader", name="tags.team")
    assert header.is_visible()
    column = page.locator("table.runs-table thead th").all_inner_texts().index("tags.team")
    row = page.locator("tr.run", has=page.get_by_role("link", name="grid-09999", exact=True))
    assert row.locator("td").nth(column).inner_text() == "vision"
    assert page.locator("summary", has_text="Columns").inner_text() == "Columns (5)"


def test_grouping_by_a_param_shows_min_mean_max_per_group(page, grid: Grid):
    open_grid(page, f"{grid.page_url}?cols=metrics.accuracy&cols=params.lr")
    page.get_by_label("Group by").select_option("params.optimizer")
    page.wait_for_url(re.compile(r"group=params.optimizer"))
    groups = page.locator("tr.group")
    assert groups.count() == 4  # adam, rmsprop, sgd and the runs without an optimizer
    assert page.locator("#grid-count").inner_text() == "4 groups of 10,004 runs"
    adam = groups.filter(has_text="= adam")
    values = [accuracy(i) for i in range(0, RUNS, 3)]
    cell = adam.locator("td.agg")
    expected = [format(v, ".6g") for v in (min(values), statistics.fmean(values), max(values))]
    assert [cell.locator(k).inner_text() for k in (".min", ".mean", ".max")] == expected
    assert "3,334 runs" in adam.inner_text()
    shoot(page, "grid-grouped")
    adam.get_by_role("button", name=re.compile("Show the 3,334 runs")).click()
    page.locator("tr.run.child").first.wait_for()
    lrs = page.locator("tr.run.child td:nth-child(7)").all_inner_texts()
    assert lrs and set(lrs) <= {"0.1", "0.01", "0.001", "0.0001"}
    assert page.locator("table.runs-table tbody tr").count() < MAX_DOM_ROWS
    shoot(page, "grid-group-open")


def test_child_runs_nest_under_their_parent(page, grid: Grid):
    open_grid(page, grid.page_url)
    toggle = page.get_by_role("button", name="Show 3 child runs of grid-parent")
    toggle.click()
    children = page.locator("tr.run.child")
    children.first.wait_for()
    assert sorted(children.locator("td.name > a").all_inner_texts()) == ["grid-child-0", "grid-child-1", "grid-child-2"]
    assert run_names(page)[:5][0] == "grid-parent" and run_names(page)[4] == "grid-09999"
    assert page.get_by_role("button", name="Hide 3 child runs of grid-parent").get_attribute("aria-expanded") == "true"
    shoot(page, "grid-children")
    page.get_by_role("button", name="Hide 3 child runs of grid-parent").click()
    children.first.wait_for(state="detached")


def test_selecting_two_runs_links_to_their_comparison(page, grid: Grid):
    open_grid(page, grid.page_url)
    link = page.locator("#compare-link")
    assert link.inner_text() == "Compare (0)" and link.get_attribute("aria-disabled") == "true"
    page.get_by_role("checkbox", name="Select grid-09999").check()
    page.get_by_role("checkbox", name="Select grid-09998").check()
    assert link.inner_text() == "Compare (2)"
    href = link.get_attribute("href")
    assert href == f"/compare?run={grid.ids['grid-09999']}&run={grid.ids['grid-09998']}"
    page.locator(".grid-scroll").evaluate("el => el.scrollTop = el.scrollHeight")  # rows leave the DOM...
    page.locator(".grid-scroll").evaluate("el => el.scrollTop = 0")
    assert page.get_by_role("checkbox", name="Select grid-09999").is_checked()  # ...the selection stays
    shoot(page, "grid-selected")


def test_the_url_round_trips_the_whole_view(page, grid: Grid):
    open_grid(page, grid.page_url)
    page.get_by_label("Filter runs").fill("params.optimizer != 'adam'")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"filter="))
    page.get_by_role("link", name="metrics.loss").click()
    page.wait_for_url(re.compile(r"order="))
    page.get_by_label("Group by").select_option("tags.team")
    page.wait_for_url(re.compile(r"group=tags.team"))
    url = page.url
    page.goto("about:blank")
    open_grid(page, url)
    assert page.get_by_label("Filter runs").input_value() == "params.optimizer != 'adam'"
    assert page.get_by_label("Group by").input_value() == "tags.team"
    assert page.get_by_role("columnheader", name="metrics.loss").get_attribute("aria-sort") == "descending"
    assert page.locator("tr.group").count() == 2
    page.get_by_label("Group by").select_option("")
    page.wait_for_url(lambda u: "group=" not in u)
    page.locator("tr.run").first.wait_for()
    page.go_back()  # the previous view comes back from the URL
    page.wait_for_function("document.querySelectorAll('tr.group').length === 2")
    assert page.get_by_label("Group by").input_value() == "tags.team"


def test_without_javascript_the_first_page_and_the_pager_work(page, grid: Grid):
    page.route(re.compile(r"\.js$"), lambda route: route.abort())
    page.goto(f"{grid.page_url}?cols=metrics.accuracy")
    assert page.locator("table.runs-table tbody tr").count() == 50
    assert page.locator("#grid-count").inner_text() == "10,004 runs (10,001 top-level)"
    assert "3 child runs" in page.locator("tr.run").first.inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert run_names(page)[0] == "grid-09950"
    shoot(page, "grid-no-js")


def test_the_grid_in_dark_mode(page, grid: Grid):
    page.emulate_media(color_scheme="dark")
    open_grid(page, f"{grid.page_url}?group=params.optimizer&cols=metrics.accuracy&cols=metrics.loss&cols=params.lr")
    page.get_by_role("button", name=re.compile("Show the .* runs with params.optimizer = sgd")).click()
    page.locator("tr.run.child").first.wait_for()
    page.get_by_role("checkbox", name=re.compile("Select grid-")).first.check()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    shoot(page, "dark-grid")
