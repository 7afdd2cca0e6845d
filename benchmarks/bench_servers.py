"""Side-by-side benchmark: the MLflow tracking server, FastTrackML and the Cairn server, same workload.

    python benchmarks/bench_servers.py [--scale small|full] [--workers N] [--only mlflow|fasttrackml|cairn]
                                       [--scaling cairn|all|none]

Starts each server in turn (never two at once) on a free 127.0.0.1 port with a fresh temporary
folder (SQLite backend, artifacts served through the server where it can), waits for /health, runs
the workloads in ``servers/workloads.py`` against it, then the scaling series in
``servers/scaling.py`` (Cairn only unless ``--scaling all``), and stops it. Prints the machine, a
table of MLflow | FastTrackML | Cairn | Cairn vs the best peer | Cairn target with a correctness
column, the scaling table, every answer check, and the same tables as Markdown (also written to
benchmarks/results/latest.md). A measure a server does not offer (FastTrackML has no artifact
proxy) shows "unsupported". Exits 1 if any answer check fails, 2 if a server cannot be started,
130 when interrupted.

``--scale small`` shrinks the workloads (and the scaling sizes: see ``workloads.SCALES``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "servers"))
sys.path.insert(0, str(HERE / "common"))

import httpx  # noqa: E402
import launch  # noqa: E402
import report  # noqa: E402
import scaling  # noqa: E402
from clients import BenchError  # noqa: E402
from host import cpu_model  # noqa: E402
from workloads import SCALES, WORKLOADS, Result, Scale  # noqa: E402

KINDS = ("mlflow", "fasttrackml", "cairn")


def log(kind: str, message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {kind:<11} {message}", flush=True)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = cpu_model()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, mlflow {_version('mlflow')}, fasttrackml {_version('fasttrackml')}, "
            f"cairn {_version('cairn-tracker')}; load average {load}")  # fmt: skip


def disk_write_mibs(folder: Path, mib: int) -> float:
    """Sequential write speed of the disk under the temporary folders: ``mib`` MiB in 1 MiB
    writes, then fsync, timed together (the ceiling for an artifact upload)."""
    block = os.urandom(1024 * 1024)
    path = folder / "bench-disk-probe.bin"
    try:
        t0 = time.perf_counter()
        with open(path, "wb", buffering=0) as fh:
            for _ in range(mib):
                fh.write(block)
            os.fsync(fh.fileno())
        return mib / (time.perf_counter() - t0)
    finally:
        path.unlink(missing_ok=True)


def start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes]:
    """``py-spy record`` on the server's process tree, collapsed stacks (one line per stack)."""
    exe = Path(sys.executable).parent / "py-spy"
    argv = [str(exe) if exe.exists() else "py-spy", "record", "--pid", str(pid), "--subprocesses",
            "--format", "raw", "--rate", "200", "--output", str(output)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_server(kind: str, sc: Scale, workers: int, keep: bool, with_scaling: bool,
                 profile: Path | None = None) -> Result:  # fmt: skip
    res = Result(kind)
    server = launch.Server(kind, workers, keep_folder=keep)
    try:
        t0 = time.perf_counter()
        server.start()
        log(kind, f"healthy on port {server.port} after {time.perf_counter() - t0:.1f} s ({server.folder})")
        assert server.proc is not None
        res.values["rss_idle"] = launch.idle_rss_bytes(server.proc.pid) / 1e6
        log(kind, f"idle RSS {res.values['rss_idle']:.0f} MB")
        profiler = start_profiler(server.proc.pid, profile) if profile and kind == "cairn" else None
        with launch.RssSampler(server.proc.pid) as sampler:
            for name, workload in WORKLOADS:
                if not server.alive():
                    res.check(name, False, "server process is gone")
                    continue
                try:
                    workload(server.base_url, sc, res, lambda msg: log(kind, msg))
                except (BenchError, httpx.HTTPError, KeyError, ValueError) as exc:
                    res.check(name, False, f"{type(exc).__name__}: {exc}"[:400])
                    log(kind, f"{name} failed: {exc}"[:400])
            if with_scaling and server.alive():
                try:
                    scaling.run_all(server.base_url, sc, res, lambda msg: log(kind, msg))
                except (BenchError, httpx.HTTPError, KeyError, ValueError) as exc:
                    res.check("scaling", False, f"{type(exc).__name__}: {exc}"[:400])
                    log(kind, f"scaling failed: {exc}"[:400])
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            profiler.wait(timeout=60)
            log(kind, f"py-spy profile written to {profile}")
        res.values["rss_peak"] = max(sampler.peak, int(res.values["rss_idle"] * 1e6)) / 1e6
        res.check("rss", sampler.samples > 0, f"{sampler.samples:,} RSS samples, peak {res.values['rss_peak']:.0f} MB")
        if not server.alive():
            res.check("rss", False, f"server died during the run:\n{server.log_tail()}")
    finally:
        server.stop()
        log(kind, "stopped")
    return res


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes for MLflow and Cairn (default 1; FastTrackML is one Go process)")
    parser.add_argument("--scaling", choices=("cairn", "all", "none"), default="cairn",
                        help="which servers also run the scaling series (default cairn)")
    parser.add_argument("--only", choices=KINDS, help="benchmark one server only")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.md", help="Markdown file to write")
    parser.add_argument("--py-spy", type=Path, dest="profile",
                        help="record the Cairn server with py-spy (collapsed stacks) into this file")
    parser.add_argument("--keep", action="store_true", help="keep the servers' temporary folders (logs, databases)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    signal.signal(signal.SIGTERM, _terminate)

    sc = SCALES[args.scale]
    host = machine()
    print(f"Machine: {host}", flush=True)
    print(f"Scale: {sc.name}, --workers {args.workers}, servers: {args.only or ', '.join(KINDS)}", flush=True)
    disk = disk_write_mibs(Path(tempfile.gettempdir()), sc.artifact_mib)
    print(f"Disk sequential write (temporary folder, {sc.artifact_mib} MiB + fsync): {disk:,.0f} MiB/s", flush=True)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    results: dict[str, Result] = {}
    try:
        for kind in KINDS:
            if args.only and kind != args.only:
                continue
            with_scaling = args.scaling == "all" or (args.scaling == "cairn" and kind == "cairn")
            results[kind] = bench_server(kind, sc, args.workers, args.keep, with_scaling, args.profile)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except launch.ServerError as exc:
        print(f"\nserver failed: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()[0]

    table = report.rows(sc, results, disk, args.workers)
    scaling_md = [scaling.markdown(report.NAMES[kind], res.scaling) for kind, res in results.items() if res.scaling]
    checks = report.check_lines(list(results.values()))
    failed = [line for line in checks if line.startswith("✗")]
    command = f"python benchmarks/bench_servers.py --scale {sc.name} --workers {args.workers}" + (
        f" --only {args.only}" if args.only else "") + (f" --scaling {args.scaling}" if args.scaling != "cairn" else "")
    print()
    print(f"Machine: {host}")
    print(f"Scale {sc.name}, {args.workers} worker(s) each, {elapsed:.0f} s in all; 1-minute load average "
          f"{load_start:.2f} at the start, {load_end:.2f} at the end")  # fmt: skip
    print()
    print(report.text_table(table))
    print()
    print(f"Disk sequential write: {disk:,.0f} MiB/s (the upload target is 90% of it)")
    for block in scaling_md:
        print()
        print(block)
    print()
    print("Answer checks:")
    print("\n".join("  " + line for line in checks))
    markdown = "\n".join([
        f"Measured with `{command}` on {host}.",
        "",
        report.markdown_table(table),
        "",
        "\"Cairn vs best peer\" is Cairn's advantage over the faster of MLflow and FastTrackML on that measure "
        "(peer time / Cairn time, or Cairn rate / peer rate; above 1.00x Cairn is ahead). RSS is the sum over the "
        f"server's process tree. Disk sequential write in the same run: {disk:,.0f} MiB/s (the upload target is "
        "90% of it). The servers ran one after the other; other work on the machine makes the figures noisy "
        f"(1-minute load average {load_start:.2f} at the start, {load_end:.2f} at the end).",
        *(line for block in scaling_md for line in ("", block)),
        "",
        "Answer checks: " + ("all passed." if not failed else f"{len(failed)} failed:"),
        *(f"- {line}" for line in failed),
    ])  # fmt: skip
    return finish(args.output, markdown, len(failed))


def finish(output: Path, markdown: str, failed: int) -> int:
    """Write the Markdown report, print it, and give the exit status (1 if an answer check failed)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown + "\n")
    print(f"\nMarkdown (written to {output}):\n\n{markdown}")
    if failed:
        print(f"\n{failed} answer check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
