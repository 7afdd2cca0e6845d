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


PEERS = ("mlflow", "fasttrackml")
NAMES = {"mlflow": "MLflow", "fasttrackml": "FastTrackML", "cairn": "Cairn"}


def measures(sc: Scale, disk_mibs: float | None = None, workers: int = 1) -> list[Measure]:
    """The measures with issue #17's targets; the history target (100 ms for 100,000 points) scales
    with the point count, the upload target is 90% of ``disk_mibs`` (the disk's sequential write
    speed measured in the same run) and the idle RSS target is 60 MB per worker."""
    points = sc.ingest_runs * sc.ingest_metrics * sc.ingest_steps
    n = f"{sc.history_points:,}"
    history_target = 100.0 * sc.history_points / 100_000
    upload_target = 0.9 * disk_mibs if disk_mibs else None
    return [
        Measure("ingest_pps", f"ingest {points:,} points, {sc.ingest_runs} runs (log-batch {sc.batch}, {sc.threads} threads)", "points/s",
                True, "ingest", 300_000, 0),
        Measure("lat_p50", f"log-metric p50 ({sc.latency_calls:,} calls, keep-alive)", "ms", False, "latency", 0.5, 2),
        Measure("lat_p99", "log-metric p99", "ms", False, "latency", None, 2),
        Measure("health_p50", "GET /health p50, same connection (floor)", "ms", False, "latency", None, 2),
        Measure("create_rps", f"runs/create, {sc.create_runs:,} runs ({sc.threads} threads)", "runs/s", True, "create",
                1000.0, 0),
        Measure("search_filtered", f"runs/search {sc.search_runs:,} runs, filter + order, max 100, p50", "ms",
                False, "search", 10.0),
        Measure("search_all", "runs/search unfiltered, max 1000, p50", "ms", False, "search", 20.0),
        Measure("hist_unpaged", f"get-history {n} points, unpaged", "ms", False, "history", history_target, 0),
        Measure("hist_paged", f"get-history {n} points, pages of {sc.history_page:,}", "ms", False, "history",
                history_target, 0),
        Measure("art_up", f"artifact upload {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", upload_target, 0),
        Measure("art_down", f"artifact download {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", 1000.0, 0),
        Measure("rss_idle", "server RSS idle (process tree)", "MB", False, "rss", 60.0 * workers, 0),
        Measure("rss_peak", "server RSS peak during the run", "MB", False, "rss", None, 0),
    ]  # fmt: skip


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✓" if ok else "✗")


def _cell(res: Result | None, m: Measure) -> str:
    if res is None:
        return "—"
    if m.workload in res.unsupported:
        return "unsupported"
    return _number(res.values.get(m.key), m.digits)


def rows(sc: Scale, results: dict[str, Result], disk_mibs: float | None = None, workers: int = 1) -> list[list[str]]:
    """One row per measure: each server's figure, Cairn against the best peer that has the figure
    (>1.0x means Cairn is ahead), the target and whether Cairn meets it, and the answer checks."""
    cairn = results.get("cairn")
    table = []
    for m in measures(sc, disk_mibs, workers):
        b = cairn.values.get(m.key) if cairn else None
        peers = [(k, results[k].values[m.key]) for k in PEERS
                 if k in results and results[k].values.get(m.key) and m.workload not in results[k].unsupported]
        ratio = "—"
        if b and peers:
            best_kind, best = (max if m.higher_is_better else min)(peers, key=lambda kv: kv[1])
            ratio = f"{(b / best if m.higher_is_better else best / b):.2f}x vs {NAMES[best_kind]}"
        target = "—"
        if m.target is not None:
            sign = ">=" if m.higher_is_better else "<="
            target = f"{sign} {m.target:,.{m.digits if m.target < 10 else 0}f}"
            if b is not None:
                met = b >= m.target if m.higher_is_better else b <= m.target
                target += " met" if met else " short"
        marks = []
        for kind in (*PEERS, "cairn"):
            res = results.get(kind)
            marks.append("n/a" if res and m.workload in res.unsupported else _mark(res.workload_ok(m.workload) if res else None))
        table.append([f"{m.label} [{m.unit}]", *(_cell(results.get(k), m) for k in (*PEERS, "cairn")), ratio, target,
                      " / ".join(marks)])  # fmt: skip
    return table


HEADER = ["measure", "MLflow", "FastTrackML", "Cairn", "Cairn vs best peer", "Cairn target",
          "correct (M / F / C)"]  # fmt: skip
RIGHT = {1, 2, 3, 4}


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
                out.append(f"{'✓' if ok else '✗'} {res.kind:<11} {workload:<9} {message}")
        for workload, why in res.unsupported.items():
            out.append(f"- {res.kind:<11} {workload:<9} unsupported: {why}")
    return out
