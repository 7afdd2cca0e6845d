"""Where each UI shows the three views the benchmark times, and how to tell they are ready.

Readiness is a predicate run in the page on every animation frame; it returns ``performance.now()``
(milliseconds since the navigation started) the first time the view is usable, so the time is
the browser's own and includes the server's answers, the scripts, and the first paint of the data.

* runs table: at least ten run rows on screen, and for Cairn the grid ready to scroll through
  every run (``#runs[data-ready]``: it knows the count and has windows to fetch);
* long chart: the series drawn (Cairn's figure marked ``data-drawn``; MLflow's plotly trace has
  its path);
* compare: every one of the runs' names on the page and the parallel-coordinates plot (MLflow's
  plotly figure; Cairn's SVG), and for Cairn the first metric chart of the runs drawn (its charts
  draw once scrolled into view; the first is in view).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Pages:
    kind: str
    base: str
    experiment_id: str

    def runs_table(self) -> str:
        if self.kind == "cairn":
            return f"{self.base}/experiments/{self.experiment_id}"
        # Opened in a fresh profile MLflow 3 shows its GenAI overview; the workflow type selects runs.
        return f"{self.base}/#/experiments/{self.experiment_id}/runs?workflowType=machine_learning"

    def chart(self, run_id: str) -> str:
        if self.kind == "cairn":
            return f"{self.base}/runs/{run_id}"
        return f"{self.base}/#/experiments/{self.experiment_id}/runs/{run_id}/model-metrics"

    def compare(self, run_ids: list[str]) -> str:
        if self.kind == "cairn":
            return f"{self.base}/compare?" + "&".join(f"run={r}" for r in run_ids)
        runs = quote(json.dumps(run_ids, separators=(",", ":")))
        return f"{self.base}/#/compare-runs?runs={runs}&experiments={quote(json.dumps([self.experiment_id]))}"

    def table_ready(self) -> str:
        if self.kind == "cairn":
            return """() => {
                const grid = document.querySelector('#runs[data-ready="true"] .grid-scroll');
                const rows = document.querySelectorAll('table.runs-table tbody tr.run').length;
                return grid && rows >= 10 && grid.scrollHeight > grid.clientHeight ? performance.now() : 0;
            }"""
        return """() => {
            // The run-name column is pinned: its links sit in ag-grid's left container.
            const rows = document.querySelectorAll('.ag-root .ag-row a[href*="/runs/"]').length;
            return rows >= 10 ? performance.now() : 0;
        }"""

    def chart_ready(self, key: str) -> str:
        if self.kind == "cairn":
            return f"""() => document.querySelector('figure.chart[data-key="{key}"][data-drawn="true"] canvas')
                ? performance.now() : 0"""
        return """() => {
            const path = document.querySelector('.js-plotly-plot .scatterlayer .trace path.js-line');
            return path && (path.getAttribute('d') || '').length > 10 ? performance.now() : 0;
        }"""

    def chart_top(self) -> str:
        """The largest y the drawn chart's axis reaches (a spike above it is not visible)."""
        if self.kind == "cairn":
            return "() => null"  # uPlot keeps its scale to itself; the bucket maxima answer instead
        return "() => document.querySelector('.js-plotly-plot')?._fullLayout?.yaxis?.range?.[1] ?? null"

    def compare_ready(self, names: list[str]) -> str:
        plot = (" && document.querySelector('figure.parallel svg')"
                " && document.querySelector('figure.chart[data-drawn=\"true\"] canvas')" if self.kind == "cairn"
                else " && document.querySelector('.js-plotly-plot .main-svg')")
        return f"""() => {{
            const text = document.body ? document.body.innerText : '';
            return {json.dumps(names)}.every((n) => text.includes(n)){plot} ? performance.now() : 0;
        }}"""

    def series_response(self, url: str) -> bool:
        """Whether a response carries the long chart's points."""
        if self.kind == "cairn":
            return "/metric-series" in url  # the UI's twin under /runs/<id>/, or the REST API's
        return "get-history-bulk-interval" in url or "metrics/get-history" in url


def spikes_drawn(kind: str, body: dict, spikes: tuple[float, ...]) -> set[float]:
    """Which spike values are among the points a chart was given (bucket maxima for Cairn)."""
    if kind == "cairn":
        values = body.get("max", [])
    else:
        values = [m.get("value") for m in body.get("metrics", [])]
    return {v for v in values if v in spikes}


def points_sent(kind: str, body: dict) -> int:
    return len(body.get("x", [])) if kind == "cairn" else len(body.get("metrics", []))
