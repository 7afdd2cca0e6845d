"""Rich output for version evidence: serving requirements, benchmarks, slice metrics, and the
evidence gates ``deployments compare`` says would pass now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli.render.format import MISSING, fmt_duration, fmt_number, fmt_time
from cairn.cli.render.layout import grid, section, table


def requirements_grid(req: Mapping[str, Any] | None) -> Table | None:
    if not req or all(req.get(k) is None for k in ("latency_p99_ms", "max_batch", "device", "memory_bytes")):
        return None
    from cairn.registry.evidence import format_memory

    return grid({
        "latency p99 budget": f"{req['latency_p99_ms']:g} ms" if req.get("latency_p99_ms") is not None else MISSING,
        "max batch": str(req["max_batch"]) if req.get("max_batch") is not None else MISSING,
        "device": req.get("device") or MISSING,
        "memory": format_memory(req["memory_bytes"]) if req.get("memory_bytes") is not None else MISSING,
        "set": f"{fmt_time(req.get('set_time'))} by {req.get('set_by') or MISSING}",
    })


def benchmark_grid(bench: Mapping[str, Any] | None) -> Table | None:
    if not bench:
        return None
    machine = bench.get("machine") or {}
    return grid({
        "single row": f"p50 {bench['p50_ms']:.3g} ms, p99 {bench['p99_ms']:.3g} ms, "
                      f"{bench['rows_per_s']:,.0f} rows/s ({bench['requests']} requests)",
        f"batches of {bench['batch_rows']}": f"p50 {bench['batch_p50_ms']:.3g} ms, p99 {bench['batch_p99_ms']:.3g} ms, "
                                             f"{bench['batch_rows_per_s']:,.0f} rows/s ({bench['batches']} batches)",
        "rows from": bench.get("source") or MISSING,
        "machine": f"{machine.get('hostname', '?')}, {machine.get('cpu_count', '?')} CPUs, "
                   f"{machine.get('platform', '?')}",
        "measured": f"{fmt_time(bench.get('measured_time'))} by {bench.get('measured_by') or MISSING}",
    })


def slices_table(slices: Sequence[Mapping[str, Any]]) -> Table | None:
    if not slices:
        return None
    found = table("Metric", "Slice", "Value", "Rows", right={"Value", "Rows"})
    for s in slices:
        found.add_row(s["metric"], s["slice"], fmt_number(s["value"]), f"{s['rows']:,}")
    return found


def policy_rows(policy: Mapping[str, Any]) -> dict[str, str]:
    """The evidence gates of a policy document, as rows of its panel."""
    latency = [text for text in (
        "p99 <= the version's budget" if policy.get("latency_within_budget") else "",
        f"p99 <= {policy['max_latency_p99_ms']:g} ms" if policy.get("max_latency_p99_ms") is not None else "") if text]
    rows = {"latency (benchmark)": " and ".join(latency) or "no"}
    if policy.get("min_shadow_agreement") is not None:
        tol = policy.get("shadow_tolerance") or 0
        rows["shadow agreement"] = (f">= {policy['min_shadow_agreement']:.1%} over >= {policy['min_shadow_pairs']} "
                                    f"pairs ({'same label' if not tol else f'|Δ| <= {tol:g}'})")
    if policy.get("max_canary_error_increase") is not None:
        rows["canary errors"] = (f"<= primary's + {policy['max_canary_error_increase']:.1%} over >= "
                                 f"{policy['min_canary_requests']} requests")
    if policy.get("max_canary_p99_ratio") is not None:
        rows["canary p99"] = f"<= {policy['max_canary_p99_ratio']:g} × primary's"
    if policy.get("max_outcome_drop") is not None:
        rows["outcome"] = f">= primary's - {policy['max_outcome_drop']:g} over >= {policy['min_outcomes']} outcomes"
    if policy.get("evidence_window_ms"):
        rows["evidence window"] = fmt_duration(policy["evidence_window_ms"])
    slices = policy.get("required_slices") or []
    rows["slice gates"] = "; ".join(f"{s['metric']} {s['op']} {s['threshold']:g} for every slice with >= "
                                    f"{s['min_rows']} rows" for s in slices) or "none"
    return rows


def render_requirements(doc: Mapping[str, Any], console: Console) -> None:
    title = f"Serving requirements of {doc['name']} v{doc['version']}"
    body = requirements_grid(doc["requirements"])
    section(console, title, body if body is not None else Text(
        f"none stated; e.g. cairn models requirements {doc['name']} {doc['version']} --latency-p99 20ms", style="dim"))


def render_benchmark(doc: Mapping[str, Any], console: Console) -> None:
    section(console, f"Benchmark of {doc['name']} v{doc['version']}", benchmark_grid(doc))
    budget = (doc.get("requirements") or {}).get("latency_p99_ms")
    if budget is not None:
        within = doc["p99_ms"] <= budget
        console.print(Text(f"p99 {'within' if within else 'over'} the {budget:g} ms budget",
                           style="green" if within else "red"))


def render_candidate_gates(candidates: Sequence[Mapping[str, Any]], console: Console) -> None:
    """Per candidate: the numbers behind the evidence and each gate's verdict now."""
    for c in candidates:
        ev = c["evidence"]
        rate = f"{ev['agreement']:.1%}" if ev.get("agreement") is not None else MISSING
        live, base = ev["live"], ev["primary_live"]
        console.print()
        console.print(Text(f"{c['arm']} v{c['version']} against primary v{ev['primary'] or '?'}", style="bold"))
        console.print(grid({
            "shadow agreement": f"{rate} over {ev['shadow_pairs']:,} paired requests",
            "live requests": f"{live['requests']:,} ({live['errors']:,} errors) vs primary {base['requests']:,} "
                             f"({base['errors']:,} errors)",
            "live p99": f"{fmt_number(live['p99_ms'])} ms vs primary {fmt_number(base['p99_ms'])} ms",
            "outcomes": f"{live['outcomes']:,} (mean {fmt_number(live['outcome_mean'])}) vs primary "
                        f"{base['outcomes']:,} (mean {fmt_number(base['outcome_mean'])})",
        }))
        if not c["results"]:
            console.print(Text("The model's policy has no evidence gates (cairn models policy NAME --help).",
                               style="dim"))
            continue
        gates = table("Gate", "Now", "Observed", "Required", "Hint")
        for g in c["results"]:
            verdict = Text("pass", style="green") if g["passed"] else Text("FAIL", style="red")
            gates.add_row(g["name"], verdict, g["observed"], g["threshold"], g.get("hint") or "")
        console.print(gates)
        console.print(Text(f"v{c['version']} would pass these gates now" if c["would_pass"]
                           else f"v{c['version']} would be refused now", style="green" if c["would_pass"] else "red"))


def render_stability(doc: Mapping[str, Any], console: Console) -> None:
    """Each standby window: its versions and end, the breach if any, the watched gates now."""
    windows = doc["windows"]
    if not windows:
        after = doc.get("archive_previous_after_ms") or 0
        console.print(Text(f"{doc['name']} has no version on standby. " + (
            f"A promotion to Production keeps the replaced version on standby for {fmt_duration(after)}."
            if after else "Its policy archives a replaced Production version at once "
                          f"(cairn models policy {doc['name']} --archive-previous-after 48h keeps it on standby)."),
            style="dim"))
        return
    for w in windows:
        held = w["held"]
        ends = "held for a rollback (a gate breach)" if held else f"archived at {fmt_time(w['until'])} " \
            f"({fmt_duration(max(w['until'] - doc['now'], 0))} from now) unless a rollback or a breach comes first"
        section(console, f"{doc['name']}: v{w['standby']} on standby behind v{w['production'] or '?'}", grid({
            "since": fmt_time(w["since"]),
            "window": fmt_duration(w["window_ms"]) if w["window_ms"] else MISSING,
            "then": ends,
            "watched gates": ", ".join(doc["watched"]) or "none in the policy (only a reported breach holds it)",
        }))
        if w["breach"]:
            b = w["breach"]
            console.print(Text(f"Breach on v{b['version']} at {fmt_time(b['timestamp'])} by {b['actor']}: "
                               f"{b['reason']}", style="red"))
        watch = w.get("watch")
        if watch and watch["gates"]:
            gates = table("Gate", "Now", "Observed", "Required")
            for g in watch["gates"]:
                failing = g["name"] in watch["breaches"]
                verdict = Text("pass", style="green") if g["passed"] else Text(
                    "FAIL" if failing else "waiting", style="red" if failing else "yellow")
                gates.add_row(g["name"], verdict, g["observed"], g["threshold"])
            console.print(gates)
            console.print(Text(f"v{w['production']} since {fmt_time(watch['since'])} against v{w['standby']} (as "
                               f"\"primary\") from {fmt_time(watch['baseline_since'])} to the promotion; "
                               "\"waiting\": too little evidence yet to call it a breach.", style="dim"))
            if watch["breaches"] and not w["breach"] and not held:
                console.print(Text(f"v{w['production']} fails {', '.join(watch['breaches'])}: the breach is recorded "
                                   "by a running cairn server's next check, and when the window ends in any case "
                                   f"(cairn models breach {doc['name']} {w['production']} --reason ... records it "
                                   "now).", style="red"))


def render_breach(doc: Mapping[str, Any], console: Console) -> None:
    console.print(Text(f"Recorded a gate breach on {doc['model_name']} v{doc['version']} by {doc['actor']}: "
                       f"{doc['reason']}. A standby version it replaced is kept for a rollback "
                       f"(cairn models rollback {doc['model_name']}).", style="yellow"))
