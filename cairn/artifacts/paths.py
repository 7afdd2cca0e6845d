"""The one function that turns a user-supplied artifact path into a safe location.

Every artifact route (PUT, GET, DELETE, list), a model version's ``source``, an experiment's
``artifact_location`` and the embedded store go through ``clean_relative_path`` (and
``resolve_under`` when they touch the disk). Path traversal is the vulnerability trackers keep
shipping; it comes back through whichever door skipped the check, so there is only one check.

Error messages start with MLflow's ``Invalid path`` (clients and scripts match it), then name the
rule that was broken; they never echo a server-side path.
"""

from __future__ import annotations

import re
from pathlib import Path

from cairn.errors import InvalidParameter

MAX_PATH_LENGTH = 1024

# C0 controls (NUL included), DEL and C1 controls.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
# Percent-escapes that survive the server's single decode and would become a dot, a separator
# or another escape if anything downstream decoded again (the '%2e%2e' / '%252e' tricks).
_DANGEROUS_DECODED = {".", "/", "\\", "%"}

_HINT = "use a relative POSIX path such as 'model/weights.bin'"


def clean_relative_path(user_path: str, *, allow_empty: bool = True) -> str:
    """Return ``user_path`` as a normalized relative POSIX path, or refuse it.

    The caller has already URL-decoded the path once. Empty segments (``a//b``) and ``.``
    segments are dropped; ``''`` means the root and is returned only when ``allow_empty``.

    Raises ``InvalidParameter`` for: non-strings, paths over 1024 characters, control characters
    (NUL included), backslashes, ``?`` or ``#``, percent-escapes decoding to ``.``, ``/``, ``\\``
    or ``%``, absolute paths (leading ``/`` or a drive letter such as ``C:``), ``..`` segments,
    and an empty path when ``allow_empty`` is false.

    >>> clean_relative_path("a//b/./c")
    'a/b/c'
    """
    if not isinstance(user_path, str):
        raise InvalidParameter(f"Invalid path: artifact path must be a string, got {type(user_path).__name__}.")
    if len(user_path) > MAX_PATH_LENGTH:
        raise InvalidParameter(
            f"Invalid path: artifact path is {len(user_path)} characters long; the limit is {MAX_PATH_LENGTH}. "
            "Use shorter directory or file names."
        )
    if _CONTROL_CHARS.search(user_path):
        raise InvalidParameter(
            f"Invalid path: artifact path contains a control character (NUL, newline, ...); {_HINT}."
        )
    if "\\" in user_path:
        raise InvalidParameter(
            f"Invalid path: artifact path contains a backslash; separate directories with '/' ({_HINT})."
        )
    for char in "?#":
        if char in user_path:
            raise InvalidParameter(
                f"Invalid path: artifact path contains {char!r}, which is refused because URLs treat it as the "
                f"start of a query or fragment; rename the file without it."
            )
    for match in _PERCENT_ESCAPE.finditer(user_path):
        decoded = chr(int(match.group(1), 16))
        if decoded in _DANGEROUS_DECODED:
            raise InvalidParameter(
                f"Invalid path: artifact path contains the percent-escape {match.group(0)!r}, which decodes to "
                f"{decoded!r}; the server decodes paths exactly once, so send the path "
                "percent-encoded once (encoded dots, separators and escapes are refused)."
            )
    if user_path.startswith("/"):
        raise InvalidParameter(f"Invalid path: artifact path must be relative, not absolute; {_HINT}.")

    segments: list[str] = []
    for segment in user_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            raise InvalidParameter(f"Invalid path: artifact path must not contain '..' segments; {_HINT}.")
        if _DRIVE_LETTER.match(segment):
            raise InvalidParameter(
                f"Invalid path: artifact path must not contain a drive letter such as 'C:'; {_HINT}."
            )
        segments.append(segment)

    cleaned = "/".join(segments)
    if not cleaned and not allow_empty:
        raise InvalidParameter(f"Invalid path: artifact path must name a file or directory; {_HINT}.")
    return cleaned


def resolve_under(root: Path, user_path: str) -> Path:
    """Clean ``user_path``, join it to ``root`` and return the resolved path inside ``root``.

    Symbolic links are resolved; a result outside ``root.resolve()`` (a link pointing out of the
    root) is refused with ``InvalidParameter``. The path need not exist. ``''`` resolves to the
    root itself.
    """
    relative = clean_relative_path(user_path)
    resolved_root = root.resolve()
    try:
        resolved = (resolved_root / relative).resolve() if relative else resolved_root
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on Python < 3.13
        raise InvalidParameter(
            "Invalid path: artifact path cannot be resolved (a symbolic link loop?); pick another path."
        ) from exc
    if resolved != resolved_root and not resolved.is_relative_to(resolved_root):
        raise InvalidParameter(
            "Invalid path: artifact path leads outside the artifact root through a symbolic link; "
            "links out of the store are refused."
        )
    return resolved
