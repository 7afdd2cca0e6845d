"""Side-by-side benchmark of the web UIs: Cairn's and MLflow's own (``mlflow server``), same data.

    python benchmarks/bench_ui.py [--scale small|full] [--repeat N] [--output FILE]

Starts both servers on free 127.0.0.1 ports with fresh temporary folders (SQLite), writes the same
runs into both stores (``ui/seed.py``: 10,000 runs with four params and four metrics, and one run
whose ``loss`` has 1,000,000 points with three one-step spikes), then drives Debian's Chromium
through Playwright (never a downloaded browser; requests leaving 127.0.0.1 are refused and
counted) and times, in a fresh browser profile each time (cold cache):

* the runs table until usable (rows on screen; Cairn's grid able to scroll through every run),
  and for Cairn the jump to the last run;
* the run page until the 1,000,000-point chart is drawn, which spikes reach the browser, and the
  chart's first data request timed again on its own (the server's share);
* a compare of ten runs (``{base}compare?run=...`` for Cairn: "pending" while that page is absent);

and after each view settles: DOM elements, JS heap after a garbage collection, JS+CSS bytes as
transferred (compressed when the server compresses) and all bytes transferred. Each view is
opened once to warm the server, then ``--repeat`` times; the table shows medians, MLflow/Cairn
ratios (above 1: Cairn is faster or smaller) and Cairn's targets. The Markdown table is written
to ``--output`` (default ``benchmarks/ui_results.md``). ``--scale small`` (1,000 runs, 100,000
points) takes a few minutes. Exits 1 when a view never becomes ready, 2 when a server cannot start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "servers"))
sys.path.insert(0, str(HERE / "common"))
sys.path.insert(0, str(HERE / "ui"))

import httpx  # noqa: E402
import launch  # noqa: E402
from host import cpu_model  # noqa: E402
from pages import Pages, points_sent, spikes_drawn  # noqa: E402
from seed import SERIES_KEY, SPIKE_VALUES, Data, make_data, seed_cairn, seed_mlflow  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# The flags tests/ui/conftest.py launches Chromium with (no background network, no sandbox in CI).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}
READY_TIMEOUT_MS = 120_000
SETTLE_MS = 1500  # after a view is ready: lazy chunks and follow-up requests finish before weighing
COMPARE_RUNS = 10
TARGETS = {"table_ms": 1000.0, "chart_ms": 1000.0, "code_kb": 300.0}
KINDS = ("mlflow", "cairn")


@dataclass(frozen=True)
class Scale:
    name: str
    runs: int
    points: int
    repeat: int


SCALES = {"small": Scale("small", 1_000, 100_000, 2), "full": Scale("full", 10_000, 1_000_000, 3)}


@dataclass
class Visit:
    ready_ms: float
    elements: int
    heap_mb: float
    code_kb: float
    total_kb: float
    blocked: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


class NotReady(Exception):
    """A view did not become usable within READY_TIMEOUT_MS (a screenshot is left in the temp folder)."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


_WEIGHT = """() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    let total = 0, code = 0;
    for (const e of entries) {
        total += e.transferSize || 0;
        if (/\\.(m?js|css)$/.test(new URL(e.name).pathname)) code += e.encodedBodySize || 0;
    }
    return {total, code};
}"""


def visit(browser: Any, url: str, ready: str, after: Any = None, on_response: Any = None) -> Visit:
    """Open ``url`` in a fresh profile, wait for ``ready``, let it settle, weigh it."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script("performance.setResourceTimingBufferSize(10000)")
    blocked: list[str] = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    if on_response is not None:
        page.on("response", on_response)
    try:
        page.goto(url, wait_until="commit")
        try:
            ready_ms = float(page.wait_for_function(ready, polling="raf", timeout=READY_TIMEOUT_MS).json_value())
        except Exception:
            page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ui-not-ready.png"))
            raise NotReady(url) from None
        extra = after(page) if after is not None else {}
        page.wait_for_timeout(SETTLE_MS)
        cdp = context.new_cdp_session(page)
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        weight = page.evaluate(_WEIGHT)
        elements = int(page.evaluate("document.getElementsByTagName('*').length"))
    finally:
        context.close()
    return Visit(ready_ms, elements, metrics.get("JSHeapUsedSize", 0) / 1e6, weight["code"] / 1024,
                 weight["total"] / 1024, blocked, extra)


def jump_to_last(name: str) -> Any:
    """After Cairn's grid is ready: scroll to the end, time until the last run's row is drawn."""

    def measure(page: Any) -> dict[str, Any]:
        started = page.evaluate("() => { const s = document.querySelector('.grid-scroll'); "
                                "s.scrollTop = s.scrollHeight; return performance.now(); }")
        done = page.wait_for_function(
            f"""() => [...document.querySelectorAll('tr.run td.name > a')].some(a => a.textContent === {name!r})
                ? performance.now() : 0""", polling="raf", timeout=READY_TIMEOUT_MS).json_value()
        rows = page.evaluate("document.querySelectorAll('table.runs-table tbody tr').length")
        return {"jump_ms": float(done) - float(started), "dom_rows": int(rows)}

    return measure


def time_request(url: str) -> float | None:
    """The server's time for the chart's first data request, asked again outside the browser (ms);
    None when it does not answer 200 that way."""
    started = time.perf_counter()
    ok = httpx.get(url, timeout=READY_TIMEOUT_MS / 1000).status_code == 200
    return (time.perf_counter() - started) * 1000 if ok else None


@dataclass
class Results:
    values: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float | None:
        got = self.values.get(name)
        return statistics.median(got) if got else None

    def record(self, prefix: str, v: Visit) -> None:
        for name, value in (("ms", v.ready_ms), ("elements", v.elements), ("heap_mb", v.heap_mb),
                            ("code_kb", v.code_kb), ("total_kb", v.total_kb)):
            self.add(f"{prefix}_{name}", value)
        self.blocked.update(urlsplit(u).hostname or u for u in v.blocked)


def measure(kind: str, browser: Any, pages: Pages, data: Data, sc: Scale) -> Results:
    res = Results()
    compare_runs = data.runs[-COMPARE_RUNS:]
    last_name = data.runs[0].name  # oldest start time: the last row in start-time order

    series_bodies: list[dict[str, Any]] = []
    series_urls: list[str] = []

    def keep_series(response: Any) -> None:
        if pages.series_response(response.url) and response.ok:
            try:
                series_bodies.append(response.json())
                series_urls.append(response.url)
            except ValueError:
                pass

    compare_ok = kind == "mlflow" or httpx.get(pages.compare([r.run_id for r in compare_runs])).status_code == 200
    if not compare_ok:
        res.notes["compare"] = "pending (the compare page is not on this branch)"
    for attempt in range(sc.repeat + 1):
        counted = attempt > 0  # the first round warms the server's caches
        after = jump_to_last(last_name) if kind == "cairn" else None
        table = visit(browser, pages.runs_table(), pages.table_ready(), after)
        series_bodies.clear()
        series_urls.clear()
        chart = visit(browser, pages.chart(data.series_run.run_id), pages.chart_ready(SERIES_KEY),
                      lambda page: {"top": page.evaluate(pages.chart_top())}, keep_series)
        compare = None
        if compare_ok:
            compare = visit(browser, pages.compare([r.run_id for r in compare_runs]),
                            pages.compare_ready([r.name for r in compare_runs]))
        log(f"{kind}: table {table.ready_ms:.0f} ms, chart {chart.ready_ms:.0f} ms"
            + (f", compare {compare.ready_ms:.0f} ms" if compare else "") + ("" if counted else " (warm-up)"))
        if not counted:
            continue
        res.record("table", table)
        if "jump_ms" in table.extra:
            res.add("jump_ms", table.extra["jump_ms"])
            res.add("jump_dom_rows", table.extra["dom_rows"])
        res.record("chart", chart)
        if series_bodies:
            first = series_bodies[0]
            res.add("chart_points", points_sent(kind, first))
            res.add("chart_spikes", len(set().union(*(spikes_drawn(kind, b, SPIKE_VALUES) for b in series_bodies))))
        if chart.extra.get("top") is not None:
            res.add("chart_top", float(chart.extra["top"]))
        request_ms = time_request(series_urls[0]) if series_urls else None
        if request_ms is not None:
            res.add("chart_request_ms", request_ms)
        if compare is not None:
            res.record("compare", compare)
    return res


ROWS = [  # (label, key, unit, lower is better, Cairn target)
    ("Runs table usable", "table_ms", "ms", True, "table_ms"),
    ("  DOM elements", "table_elements", "", True, None),
    ("  JS heap after GC", "table_heap_mb", "MB", True, None),
    ("  JS + CSS transferred", "table_code_kb", "KB", True, "code_kb"),
    ("  all bytes transferred", "table_total_kb", "KB", True, None),
    ("Jump to the last run", "jump_ms", "ms", True, None),
    ("  rows in the DOM there", "jump_dom_rows", "", True, None),
    ("Long chart drawn", "chart_ms", "ms", True, "chart_ms"),
    ("  its first data request alone", "chart_request_ms", "ms", True, None),
    ("  points sent to the browser", "chart_points", "", True, None),
    ("  spikes among them (of 3)", "chart_spikes", "", False, None),
    ("  DOM elements", "chart_elements", "", True, None),
    ("  JS heap after GC", "chart_heap_mb", "MB", True, None),
    ("  JS + CSS transferred", "chart_code_kb", "KB", True, "code_kb"),
    ("  all bytes transferred", "chart_total_kb", "KB", True, None),
    ("Compare of 10 runs shown", "compare_ms", "ms", True, None),
    ("  DOM elements", "compare_elements", "", True, None),
    ("  JS heap after GC", "compare_heap_mb", "MB", True, None),
    ("  JS + CSS transferred", "compare_code_kb", "KB", True, "code_kb"),
    ("  all bytes transferred", "compare_total_kb", "KB", True, None),
]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    number = f"{value:,.1f}" if unit == "MB" or (unit and value < 10) else f"{value:,.0f}"
    return f"{number} {unit}".strip()


def table_rows(results: dict[str, Results]) -> list[list[str]]:
    out = []
    mlflow, cairn = results["mlflow"], results["cairn"]
    for label, key, unit, lower, target in ROWS:
        m, c = mlflow.median(key), cairn.median(key)
        if m is None and c is None:
            continue
        ratio = "—"
        if m is not None and c is not None and m > 0 and c > 0:
            ratio = f"{(m / c) if lower else (c / m):.1f}×"
        goal = ""
        if target is not None:
            limit = TARGETS[target]
            goal = f"< {limit:,.0f} {unit}: " + ("—" if c is None else "met" if c < limit else "missed")
        note = cairn.notes.get(key.split("_")[0], "—") if key.endswith("_ms") else "—"
        cairn_text = _fmt(c, unit) if c is not None else note
        out.append([label, _fmt(m, unit), cairn_text, ratio, goal])
    return out


def markdown(rows: list[list[str]]) -> str:
    head = ["Measure (median)", "MLflow UI", "Cairn UI", "MLflow / Cairn", "Cairn target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 3 + ["---"]) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def machine() -> str:
    import importlib.metadata
    import platform

    versions = []
    for dist in ("mlflow", "cairn-tracker", "playwright"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} not installed")
    return f"{os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} {platform.release()}, " + ", ".join(versions)


def start_and_seed(kind: str, data: Data) -> tuple[launch.Server, str]:
    server = launch.Server(kind, 1)
    server.start()
    assert server.folder is not None
    started = time.perf_counter()
    if kind == "cairn":
        experiment_id = seed_cairn(f"sqlite:///{server.folder / 'cairn.db'}", data)
    else:
        api = f"{server.base_url}/api/2.0/mlflow/experiments"
        experiment_id = httpx.post(f"{api}/create", json={"name": "bench"}).json()["experiment_id"]
        location = httpx.get(f"{api}/get", params={"experiment_id": experiment_id}).json()["experiment"]["artifact_location"]
        seed_mlflow(server.folder / "mlflow.db", experiment_id, location, data)
    log(f"{kind}: server on {server.base_url}, seeded in {time.perf_counter() - started:.1f} s")
    return server, str(experiment_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--repeat", type=int, help="measured visits per view (default: 3 full, 2 small)")
    parser.add_argument("--output", type=Path, default=HERE / "ui_results.md")
    args = parser.parse_args(argv)
    sc = SCALES[args.scale]
    if args.repeat:
        sc = Scale(sc.name, sc.runs, sc.points, args.repeat)
    if not Path(CHROMIUM).exists():
        print(f"Chromium is needed at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    data = make_data(sc.runs, sc.points)
    log(f"scale {sc.name}: {sc.runs:,} runs, one series of {sc.points:,} points, {sc.repeat} visits per view")
    load_start = os.getloadavg()[0]
    servers: dict[str, launch.Server] = {}
    results: dict[str, Results] = {}
    try:
        experiments = {}
        for kind in KINDS:
            servers[kind], experiments[kind] = start_and_seed(kind, data)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for kind in KINDS:
                results[kind] = measure(kind, browser, Pages(kind, servers[kind].base_url, experiments[kind]), data, sc)
            browser.close()
    except launch.ServerError as exc:
        print(f"server failed: {exc}", file=sys.stderr)
        return 2
    except (NotReady, PlaywrightError) as exc:
        print(f"a view never became ready: {exc}"[:2000], file=sys.stderr)
        return 1
    finally:
        for server in servers.values():
            server.stop()
    load_end = os.getloadavg()[0]
    rows = table_rows(results)
    blocked = sorted(results["mlflow"].blocked | results["cairn"].blocked)
    text = "\n".join([
        f"Measured with `python benchmarks/bench_ui.py --scale {sc.name}` on {machine()}: "
        f"{sc.runs:,} runs and one {sc.points:,}-point series in each store, Chromium {CHROMIUM}, "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}, fresh profile per visit, median of {sc.repeat} visits after a warm-up.",
        "",
        markdown(rows),
        "",
        "Times run from the start of navigation to the first frame where the view is usable. Ratios above 1 mean "
        "Cairn is faster or lighter. Bytes are as transferred: Cairn serves its assets gzip-compressed; MLflow's "
        "server sends whatever its static handler sends. The spike row counts the three one-step spikes of the "
        "series among the points the chart was given (Cairn's bucket maxima; MLflow's sampled points). "
        "\"Its first data request alone\" asks the chart's first data URL again from outside the browser "
        "(the server's share of the chart's time).",
        f"Requests to other hosts refused: {', '.join(blocked) if blocked else 'none'}. 1-minute load average "
        f"{load_start:.2f} at the start, {load_end:.2f} at the end (other work on the machine makes times noisy).",
    ])  # fmt: skip
    args.output.write_text(text + "\n")
    print()
    print(text)
    print(f"\n(written to {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
