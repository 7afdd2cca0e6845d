"""Code state from git: commit, branch, origin URL, dirty flag and the uncommitted diff.

Drives the ``git`` command line: rev-parse, status, config and diff, the same four
subprocesses whatever the size of the repository. Untracked files are read from disk and
rendered as new-file diffs, so ``code/diff.patch`` applies with ``git apply`` on a checkout
of the recorded commit.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from .captured import CapturedContext

DIFF_ARTIFACT = "code/diff.patch"
_TIMEOUT_S = 10.0
# Cairn's own store is never part of the code: an embedded store in the repository (./.cairn) is
# left out of the status, and database files anywhere are never opened. Opening and closing a
# SQLite file drops this process's POSIX locks on it, after which another process may delete
# the write-ahead log still in use here and lose what it holds.
_STORE_EXCLUDES = (":(exclude,glob)**/.cairn/**",)
_DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".sqlite3", ".sqlite-wal",
                      ".sqlite-shm", ".sqlite3-wal", ".sqlite3-shm")
_SNIFF_BYTES = 8000  # git's own test: a NUL byte in the first 8000 bytes makes a file binary
_MAX_LISTED_NOTES = 50
_SECTION_START = re.compile(rb"(?m)^(?=diff --git )")
_BINARY_MARK = re.compile(rb"(?m)^Binary files .* differ$")
_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r",
            34: b'\\"', 92: b"\\\\"}  # fmt: skip


class RepoProbe(NamedTuple):
    """Where the git working tree is (``root``), or why there is none (``problem``)."""

    git: str | None
    root: Path | None
    problem: str | None


class _Status(NamedTuple):
    commit: str | None
    branch: str | None
    changed: list[bytes]
    untracked: list[bytes]


class _GitFailed(Exception):
    """A git command exited with an error or did not finish in time."""


def find_repo(cwd: Path) -> RepoProbe:
    """Locate the working tree containing ``cwd``; never raises."""
    git = shutil.which("git")
    if git is None:
        return RepoProbe(None, None, "git is not installed")
    try:
        out = _run(git, cwd, "rev-parse", "--show-toplevel")
    except _GitFailed as exc:
        message = str(exc)
        if "not a git repository" in message:
            return RepoProbe(git, None, "not a git repository")
        if "dubious ownership" in message:
            message = "the repository belongs to another user (see git config safe.directory)"
        return RepoProbe(git, None, f"git could not read the repository: {message}")
    except OSError as exc:
        return RepoProbe(git, None, f"git could not run: {exc.strerror or exc}")
    return RepoProbe(git, Path(os.fsdecode(out.removesuffix(b"\n"))), None)


def capture_git(repo: RepoProbe, diff_size_cap: int, file_size_cap: int) -> CapturedContext:
    """Tags for the commit, branch, origin and dirty state, plus ``code/diff.patch`` when dirty."""
    if repo.git is None or repo.root is None:
        return CapturedContext(tags={"cairn.git.available": "false"}, notes=[repo.problem or ""])
    git, root = repo.git, repo.root
    status = _parse_status(
        _run(git, root, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all", "--", ".",
             *_STORE_EXCLUDES)
    )
    captured = CapturedContext(tags={"cairn.git.available": "true"})
    if status.commit is not None:
        captured.tags["mlflow.source.git.commit"] = status.commit
    else:
        captured.notes.append("the repository has no commits yet")
    if status.branch is not None:
        captured.tags["mlflow.source.git.branch"] = status.branch
    else:
        captured.notes.append("HEAD is detached: no branch recorded")
    origin = _run(git, root, "config", "--get", "remote.origin.url", missing_ok=True)
    if origin.strip():
        url = origin.decode(errors="replace").strip()
        captured.tags["mlflow.source.git.repoURL"] = strip_credentials(url)
    dirty = bool(status.changed or status.untracked)
    captured.tags["cairn.git.dirty"] = "true" if dirty else "false"
    captured.tags["cairn.git.diff_files"] = str(len(status.changed) + len(status.untracked))
    if dirty:
        patch, notes = _build_patch(git, root, status, diff_size_cap, file_size_cap)
        if patch is not None:
            captured.artifacts[DIFF_ARTIFACT] = patch
        captured.notes.extend(notes)
    return captured


def strip_credentials(url: str) -> str:
    """Remove a password (and, over HTTP, the user name, often a token) from a remote URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or "@" not in parts.netloc:
        return url  # scp-like "git@host:org/repo.git": the user is an ssh login, not a secret
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() not in ("http", "https", "ftp", "ftps"):
        host = userinfo.partition(":")[0] + "@" + host
    return urlunsplit(parts._replace(netloc=host))


def _run(git: str, cwd: Path, *args: str | bytes, missing_ok: bool = False) -> bytes:
    # C locale: the messages matched above are the English ones. No optional locks: a
    # `git status` of ours must not take index.lock while the user runs git themselves.
    env = {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            [git, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise _GitFailed(f"git {args[0]!s} did not finish within {_TIMEOUT_S:.0f} s") from None
    if done.returncode == 1 and missing_ok:
        return b""
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise _GitFailed(f"git {args[0]!s} failed (exit {done.returncode}): {lines[0]}")
    return done.stdout


def _parse_status(out: bytes) -> _Status:
    commit: str | None = None
    branch: str | None = None
    changed: list[bytes] = []
    untracked: list[bytes] = []
    records = iter(out.split(b"\0"))
    for record in records:
        if record.startswith(b"# branch.oid "):
            oid = record[13:].decode()
            commit = None if oid == "(initial)" else oid
        elif record.startswith(b"# branch.head "):
            head = record[14:].decode(errors="replace")
            branch = None if head == "(detached)" else head
        elif record.startswith(b"1 "):
            changed.append(record.split(b" ", 8)[8])
        elif record.startswith(b"2 "):
            changed.append(record.split(b" ", 9)[9])
            next(records, None)  # the rename's original path
        elif record.startswith(b"u "):
            changed.append(record.split(b" ", 10)[10])
        elif record.startswith(b"? "):
            untracked.append(record[2:])
    return _Status(commit, branch, changed, untracked)


def _build_patch(
    git: str, root: Path, status: _Status, total_cap: int, file_cap: int
) -> tuple[bytes | None, list[str]]:
    skipped: list[str] = []
    too_big: list[bytes] = []
    for path in status.changed:
        with contextlib.suppress(OSError):  # a file deleted from the working tree has no size
            if (size := (root / os.fsdecode(path)).stat().st_size) > file_cap:
                too_big.append(path)
                skipped.append(_over_file_cap(path, size, file_cap))
    base = status.commit or _empty_tree(git, root)
    # Files already known to be too big are left out of the diff so git never reads them.
    excludes = [b":(exclude,literal)" + path for path in too_big]
    tracked = _run(
        git, root, "diff", base, "--no-color", "--no-ext-diff", "--no-textconv",
        "--src-prefix=a/", "--dst-prefix=b/", *excludes,
    )  # fmt: skip
    pieces: list[tuple[bytes, bytes]] = []
    for section in filter(None, _SECTION_START.split(tracked)):
        path = _section_path(section)
        if _BINARY_MARK.search(section.split(b"\n@@", 1)[0]):
            skipped.append(f"skipped binary file {_show(path)}")
        elif len(section) > file_cap:
            skipped.append(f"skipped {_show(path)}: its diff is over the {file_cap}-byte file cap")
        else:
            pieces.append((path, section))
    budget = total_cap - sum(len(section) for _, section in pieces)
    for path in status.untracked:
        try:
            rendered = _render_new_file(root, path, file_cap, budget)
        except OSError as exc:  # removed or unreadable since `git status` listed it
            rendered = f"skipped untracked {_show(path)}: {exc.strerror or exc}"
        if isinstance(rendered, bytes):
            pieces.append((path, rendered))
            budget -= len(rendered)
        else:
            skipped.append(rendered or _left_out(path, total_cap))

    # Keep whole files only, dropping from the end until header and body fit the total cap.
    kept, dropped = len(pieces), 0
    body_size = sum(len(section) for _, section in pieces)
    while True:
        notes = skipped + [_left_out(path, total_cap) for path, _ in pieces[kept : kept + dropped]]
        header = _header(status.commit, notes)
        if len(header) + body_size <= total_cap:
            return header + b"".join(section for _, section in pieces[:kept]), _summarise(notes)
        if kept == 0:
            notes.append(f"{DIFF_ARTIFACT} not written: its {total_cap}-byte cap is too small")
            return None, _summarise(notes)
        kept, dropped = kept - 1, dropped + 1
        body_size -= len(pieces[kept][1])


def _render_new_file(root: Path, path: bytes, file_cap: int, budget: int) -> bytes | str | None:
    """The file as a new-file diff section, why it is skipped, or None when out of budget."""
    full = root / os.fsdecode(path)
    if full.name.lower().endswith(_DATABASE_SUFFIXES):
        return f"skipped database file {_show(path)}"
    info = full.lstat()
    if stat.S_ISLNK(info.st_mode):
        mode, content = b"120000", os.fsencode(os.readlink(full))
    elif not stat.S_ISREG(info.st_mode):
        return f"skipped untracked {_show(path)}: not a regular file"
    elif info.st_size > file_cap:
        return _over_file_cap(path, info.st_size, file_cap)
    elif info.st_size > budget:
        return None
    else:
        mode = b"100755" if info.st_mode & 0o111 else b"100644"
        content = full.read_bytes()
    if b"\0" in content[:_SNIFF_BYTES]:
        return f"skipped binary file {_show(path)}"
    a_name, b_name = _quote(b"a/" + path), _quote(b"b/" + path)
    section = b"diff --git %s %s\nnew file mode %s\n" % (a_name, b_name, mode)
    if content:
        lines = content.split(b"\n")
        if content.endswith(b"\n"):
            lines.pop()
        section += b"--- /dev/null\n+++ %s\n@@ -0,0 +1,%d @@\n" % (b_name, len(lines))
        section += b"".join(b"+" + line + b"\n" for line in lines)
        if not content.endswith(b"\n"):
            section += b"\\ No newline at end of file\n"
    return section if len(section) <= budget else None


def _over_file_cap(path: bytes, size: int, file_cap: int) -> str:
    return f"skipped {_show(path)}: {size} bytes is over the {file_cap}-byte file cap"


def _left_out(path: bytes, total_cap: int) -> str:
    return f"left out {_show(path)}: the patch reached its {total_cap}-byte cap"


def _header(commit: str | None, notes: list[str]) -> bytes:
    against = f"commit {commit}" if commit else "an empty tree (the repository has no commits)"
    lines = [
        f"# Uncommitted changes (staged, unstaged and untracked) against {against}.",
        "# Apply on a checkout of that commit with: git apply diff.patch",
        *(f"# note: {note}" for note in _summarise(notes)),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")


def _summarise(notes: list[str]) -> list[str]:
    if len(notes) <= _MAX_LISTED_NOTES:
        return notes
    hidden = len(notes) - _MAX_LISTED_NOTES + 1
    return [*notes[: _MAX_LISTED_NOTES - 1], f"... and {hidden} more files skipped"]


def _empty_tree(git: str, root: Path) -> str:
    # Asked of git rather than hard-coded: the id differs in sha256 repositories.
    return _run(git, root, "hash-object", "-t", "tree", os.devnull).decode().strip()


def _section_path(section: bytes) -> bytes:
    names = section.split(b"\n", 1)[0].removeprefix(b"diff --git ")
    half = len(names) // 2  # "a/P b/P" when the path is unchanged and needs no quoting
    if len(names) % 2 and names[half : half + 3] == b" b/" and names[2:half] == names[half + 3 :]:
        return names[2:half]
    return names


def _quote(name: bytes) -> bytes:
    """Quote a path the way git does in diff headers (core.quotePath's default)."""
    if not any(byte < 0x20 or byte >= 0x7F or byte in (0x22, 0x5C) for byte in name):
        return name
    quoted = bytearray(b'"')
    for byte in name:
        if byte in _ESCAPES:
            quoted += _ESCAPES[byte]
        elif byte < 0x20 or byte >= 0x7F:
            quoted += b"\\%03o" % byte
        else:
            quoted.append(byte)
    return bytes(quoted + b'"')


def _show(path: bytes) -> str:
    return path.decode("utf-8", "backslashreplace")
