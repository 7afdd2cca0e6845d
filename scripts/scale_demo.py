"""`make scale-demo`: the scale-out set-up on one machine, for a trial.

Starts a throwaway PostgreSQL cluster (Debian's ``postgresql`` package) and SeaweedFS's S3 server
(``weed`` from the test extra) with the same code the test suite uses (``tests/servers``), then
``cairn server --workers 2`` over them (metadata in PostgreSQL, artifacts in an S3 bucket), runs the
demo against that server (``CAIRN_TRACKING_URI``), prints the URL and waits for Ctrl-C; everything
it started stops then, and its data goes with it. ``--no-wait`` stops right after the demo.

    python scripts/scale_demo.py [--port 5000] [--no-wait]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(ROOT)
)  # `tests.servers`, and this checkout's `cairn` for the subprocesses

from tests.servers import postgres, seaweedfs  # after the path above

WORKERS = 2
BUCKET = "cairn-demo"
DATABASE = "cairn"
STARTUP_TIMEOUT_S = 180  # two workers importing Cairn on a busy 2-core machine
STOP_TIMEOUT_S = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port", type=int, default=0, help="port of cairn server (default: a free one)"
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="stop everything once the demo has run"
    )
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        say("Starting PostgreSQL (a throwaway cluster) ...")
        store_uri = stack.enter_context(postgres_store())
        say("Starting SeaweedFS (S3) ...")
        s3, destination = stack.enter_context(s3_bucket())
        env = {**os.environ, **s3.env, "PYTHONPATH": _python_path()}
        say(f"Starting cairn server --workers {WORKERS} ...")
        folder = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="cairn-scale-demo-"))
        )
        log_path = folder / "server.log"
        url = stack.enter_context(
            cairn_server(
                store_uri, destination, env, args.port or _free_port(), log_path
            )
        )
        say(
            f"cairn server: {url}  (store: {store_uri}, artifacts: {destination}, log: {log_path})"
        )
        demo = subprocess.run(
            [sys.executable, "-m", "cairn.demo"],
            check=False,
            env={**env, "CAIRN_TRACKING_URI": url},
            cwd=folder,
        )
        if demo.returncode != 0:
            say(f"The demo failed (exit code {demo.returncode}); stopping.")
            return demo.returncode
        runs, objects = stored(url, s3)
        say(
            f"\nThe demo ran against {url} ({WORKERS} workers): {runs} runs in PostgreSQL, "
            f"{objects} objects in {destination}."
        )
        if args.no_wait:
            return 0
        say(
            f"Open {url} in a browser. Ctrl-C stops the server, SeaweedFS and PostgreSQL (their data goes too)."
        )
        _wait_for_interrupt()
    return 0


def say(text: str) -> None:
    print(text, flush=True)


@contextmanager
def postgres_store() -> Iterator[str]:
    cluster = postgres.start_cluster()
    try:
        with cluster.connect() as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        yield cluster.url(DATABASE)
    finally:
        cluster.stop()


@contextmanager
def s3_bucket() -> Iterator[tuple[seaweedfs.SeaweedFS, str]]:
    server = seaweedfs.start_seaweedfs()
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server, f"s3://{BUCKET}/artifacts"
    finally:
        seaweedfs.stop_seaweedfs(server)


@contextmanager
def cairn_server(
    store_uri: str, destination: str, env: dict[str, str], port: int, log_path: Path
) -> Iterator[str]:
    import httpx

    command = [
        sys.executable, "-m", "cairn.cli", "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", store_uri, "--artifacts-destination", destination, "--workers", str(WORKERS),
    ]  # fmt: skip
    with log_path.open("wb") as log:  # the server's own output stays out of the demo's
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"cairn server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}"
                )
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"cairn server did not answer on {url} within {STARTUP_TIMEOUT_S} s; its log: {log_path}"
                )
            time.sleep(0.1)  # polling for readiness
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stored(url: str, s3: seaweedfs.SeaweedFS) -> tuple[int, int]:
    """How many runs the server lists (over every experiment) and how many objects the bucket holds."""
    import httpx

    api = f"{url}/api/2.0/mlflow"
    experiments = (
        httpx.post(f"{api}/experiments/search", json={"max_results": 1000})
        .json()
        .get("experiments", [])
    )
    ids = [e["experiment_id"] for e in experiments]
    runs, token = 0, None
    while ids:
        page = httpx.post(
            f"{api}/runs/search",
            json={
                "experiment_ids": ids,
                "max_results": 1000,
                **({"page_token": token} if token else {}),
            },
        ).json()
        runs += len(page.get("runs", []))
        token = page.get("next_page_token")
        if not token:
            break
    objects = sum(
        page.get("KeyCount", 0)
        for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    )
    return runs, objects


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    say("\nStopping ...")


def _python_path() -> str:
    return os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    sys.exit(main())
