"""The comparison table, as aligned text for the terminal and as Markdown for the README."""

from __future__ import annotations

from dataclasses import dataclass

from workloads import Result, Scale


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    workload: str
    target: float | None = None
    digits: int = 1


def measures(sc: Scale) -> list[Measure]:
    points = sc.ingest_runs * sc.ingest_metrics * sc.ingest_steps
    n = f"{sc.history_points:,}"
    history_target = 300.0 * sc.history_points / 100_000  # the target is for 100,000 points
    return [
        Measure("ingest_pps", f"ingest {points:,} points, {sc.ingest_runs} runs (log-batch {sc.batch}, {sc.threads} threads)", "points/s",
                True, "ingest", 150_000, 0),
        Measure("lat_p50", f"log-metric p50 ({sc.latency_calls:,} calls, keep-alive)", "ms", False, "latency", 1.0, 2),
        Measure("lat_p99", "log-metric p99", "ms", False, "latency", None, 2),
        Measure("health_p50", "GET /health p50, same connection (floor)", "ms", False, "latency", None, 2),
        Measure("search_filtered", f"runs/search {sc.search_runs:,} runs, filter + order, max 100, p50", "ms",
                False, "search", 20.0),
        Measure("search_all", "runs/search unfiltered, max 1000, p50", "ms", False, "search"),
        Measure("hist_unpaged", f"get-history {n} points, unpaged", "ms", False, "history", history_target, 0),
        Measure("hist_paged", f"get-history {n} points, pages of {sc.history_page:,}", "ms", False, "history",
                history_target, 0),
        Measure("art_up", f"artifact upload {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", 600.0, 0),
        Measure("art_down", f"artifact download {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", 800.0, 0),
        Measure("rss_idle", "server RSS idle (process tree)", "MB", False, "rss", 100.0, 0),
        Measure("rss_peak", "server RSS peak during the run", "MB", False, "rss", None, 0),
    ]  # fmt: skip


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✓" if ok else "✗")


def rows(sc: Scale, mlflow: Result | None, cairn: Result | None) -> list[list[str]]:
    table = []
    for m in measures(sc):
        a = mlflow.values.get(m.key) if mlflow else None
        b = cairn.values.get(m.key) if cairn else None
        ratio = "—"
        if a and b:
            ratio = f"{(b / a if m.higher_is_better else a / b):.1f}x"
        target = "—"
        if m.target is not None:
            sign = ">=" if m.higher_is_better else "<="
            target = f"{sign} {m.target:,.{m.digits if m.target < 10 else 0}f}"
            if b is not None:
                met = b >= m.target if m.higher_is_better else b <= m.target
                target += " met" if met else " short"
        checks = f"{_mark(mlflow.workload_ok(m.workload) if mlflow else None)} / " \
                 f"{_mark(cairn.workload_ok(m.workload) if cairn else None)}"  # fmt: skip
        table.append([f"{m.label} [{m.unit}]", _number(a, m.digits), _number(b, m.digits), ratio, target, checks])
    return table


HEADER = ["measure", "MLflow", "Cairn", "ratio (Cairn advantage)", "Cairn target", "correct (MLflow / Cairn)"]
RIGHT = {1, 2, 3}


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in RIGHT else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(HEADER), "  ".join("-" * w for w in widths), *(line(r) for r in table)])


def markdown_table(table: list[list[str]]) -> str:
    align = ["---" if i not in RIGHT else "---:" for i in range(len(HEADER))]
    out = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in table]
    return "\n".join(out)


def check_lines(results: list[Result]) -> list[str]:
    out = []
    for res in results:
        for workload, items in res.checks.items():
            for ok, message in items:
                out.append(f"{'✓' if ok else '✗'} {res.kind:<6} {workload:<9} {message}")
    return out
