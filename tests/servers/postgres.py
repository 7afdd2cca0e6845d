"""A throwaway PostgreSQL cluster for one test session, from Debian's ``postgresql`` package.

``start_cluster()`` runs ``initdb`` into a fresh folder under /tmp and starts ``postgres`` on a free
127.0.0.1 port (never the package's own cluster on 5432); ``Cluster.stop()`` sends SIGINT (a fast
shutdown) and removes the folder. Both must run as the ``postgres`` user when the suite runs as root
(``initdb`` refuses root), so the folder is made with ``mkdtemp(dir="/tmp")``, whose parents every
user can traverse (pytest's own temp root is 0700), and handed to that user.

A test run killed before its ``finally`` leaves a server behind: ``start_cluster`` first stops
clusters whose owning process (``owner.pid`` in their folder) is gone, by the PID in their
``postmaster.pid``.

Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``): the data is thrown
away, and the suite creates a database per test.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

INSTALL_HINT = "apt-get update && apt-get install -y postgresql"
# A folder holding initdb and postgres, for PostgreSQL installed elsewhere than Debian puts it.
ENV_BIN = "CAIRN_TEST_POSTGRES_BIN"
DIR_PREFIX = "cairn-test-pg-"
OWNER_FILE = "owner.pid"
SUPERUSER = "postgres"
READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
# Server workers (4 processes, each with its connection pool) and the suite's own connections.
MAX_CONNECTIONS = 400
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": str(MAX_CONNECTIONS),
    "shared_buffers": "128MB",
}


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


@dataclass
class Cluster:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` as the superuser (trust authentication on 127.0.0.1)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True)

    def log_text(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def binaries() -> Path:
    """The folder of ``initdb`` and ``postgres``: ``$CAIRN_TEST_POSTGRES_BIN``, else the newest
    ``/usr/lib/postgresql/<version>/bin``. ``PostgresMissing`` names the command to install them."""
    chosen = os.environ.get(ENV_BIN)
    candidates = [chosen] if chosen else glob.glob("/usr/lib/postgresql/*/bin")
    found = [Path(p) for p in candidates if (Path(p) / "initdb").exists() and (Path(p) / "postgres").exists()]
    if not found:
        where = chosen or "/usr/lib/postgresql/*/bin"
        raise PostgresMissing(
            f"The PostgreSQL server is not installed (no initdb and postgres in {where}), so the suite cannot run "
            f"on PostgreSQL. Install it as root: `{INSTALL_HINT}`."
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def start_cluster(settings: dict[str, str] | None = None) -> Cluster:
    """Create and start a cluster; the caller stops it (``Cluster.stop``) in a ``finally``.
    ``settings`` override the suite's (e.g. a benchmark turning durability back on)."""
    bin_dir = binaries()
    stop_stale_clusters()
    folder = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir="/tmp"))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    account = _run_as()
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    try:
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync",
             "--locale=C.UTF-8"],
            check=True, capture_output=True, **_user_args(account),
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {exc.stderr.decode(errors='replace')}") from None
    port = _free_port()
    options = [arg for name, value in {**_SETTINGS, **(settings or {})}.items() for arg in ("-c", f"{name}={value}")]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder), *options],
            stdout=log, stderr=subprocess.STDOUT, **_user_args(account),
        )
    cluster = Cluster(folder, port, process)
    try:
        _wait_until_ready(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def stop_stale_clusters() -> None:
    """Stop and remove clusters left by test runs that died before stopping them."""
    for folder in Path("/tmp").glob(DIR_PREFIX + "*"):
        try:
            owner = int((folder / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        try:
            postmaster = int((folder / "data" / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            postmaster = None
        if postmaster is not None and _alive(postmaster):
            os.kill(postmaster, signal.SIGINT)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(cluster: Cluster) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if cluster.process.poll() is not None:
            raise RuntimeError(f"postgres exited with {cluster.process.returncode}:\n{cluster.log_text()}")
        try:
            cluster.connect().close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not accept connections:\n{cluster.log_text()}") from None
            time.sleep(0.05)  # polling for readiness


def _run_as() -> pwd.struct_passwd | None:
    """The account the server runs as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresMissing(
            f"Running as root, the PostgreSQL server must run as the '{SUPERUSER}' user, which does not exist. "
            f"Install Debian's package as root: `{INSTALL_HINT}`."
        ) from None


def _user_args(account: pwd.struct_passwd | None) -> dict[str, object]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": [], "cwd": "/tmp"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
