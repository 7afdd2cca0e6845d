"""A commit's web page on the forge that hosts its repository (GitHub, GitLab, Bitbucket).

A run records its remote as git has it: ``https://github.com/org/repo.git``,
``git@github.com:org/repo.git`` or ``ssh://git@gitlab.com/group/sub/repo.git``. Each becomes the
forge's https commit URL; a remote on any other host, or one that does not parse, has no link (the
page shows the commit as text). Only a commit made of hex digits is linked.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# host -> the commit page below the repository's path
FORGES = {"github.com": "/commit/", "gitlab.com": "/-/commit/", "bitbucket.org": "/commits/"}
_SCP_LIKE = re.compile(r"^(?:[\w.\-]+@)?(?P<host>[\w.\-]+):(?P<path>[^/].*)$")  # git@host:org/repo.git
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
_PATH_PART = re.compile(r"^[\w.\-~]+$")


def commit_url(remote: str | None, commit: str | None) -> str | None:
    """The https page of ``commit`` in ``remote``'s repository, or None when there is none."""
    if not remote or not commit or not _COMMIT.match(commit):
        return None
    found = _host_and_path(remote.strip())
    if found is None:
        return None
    host, path = found
    suffix = FORGES.get(host) or ("/-/commit/" if host.startswith("gitlab.") else None)
    if suffix is None:
        return None
    return f"https://{host}/{path}{suffix}{commit.lower()}"


def _host_and_path(remote: str) -> tuple[str, str] | None:
    if "://" in remote:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh"):
            return None
        host, path = (parts.hostname or ""), parts.path
    else:
        scp = _SCP_LIKE.match(remote)
        if scp is None:
            return None
        host, path = scp.group("host"), scp.group("path")
    segments = [s for s in path.strip("/").removesuffix(".git").split("/") if s]
    if not host or len(segments) < 2 or not all(_PATH_PART.match(s) and s not in (".", "..") for s in segments):
        return None
    return host.lower(), "/".join(quote(s) for s in segments)
