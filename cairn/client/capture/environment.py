"""The Python environment: interpreter version and every installed distribution, pinned.

Reads ``importlib.metadata`` like ``pip freeze`` would, without starting pip. Only the header of
each distribution's METADATA file is parsed: the email parser behind ``Distribution.metadata``
also reads the long description and costs ten times as much.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re

from .captured import CapturedContext

REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
_NAME_SEPARATORS = re.compile(r"[-_.]+")


def capture_environment() -> CapturedContext:
    """Tags for the interpreter and the package count, plus ``environment/requirements.txt``."""
    pins, unreadable = list_distributions()
    captured = CapturedContext(
        tags={
            "cairn.python.version": platform.python_version(),
            "cairn.python.implementation": platform.python_implementation(),
            "cairn.env.packages": str(len(pins)),
        },
        artifacts={REQUIREMENTS_ARTIFACT: "".join(f"{n}=={v}\n" for n, v in pins).encode()},
    )
    if unreadable:
        captured.notes.append(
            f"skipped {unreadable} installed distribution(s) without a name or version"
        )
    return captured


def list_distributions() -> tuple[list[tuple[str, str]], int]:
    """Installed ``(name, version)`` pairs sorted case-insensitively, and how many were unreadable.

    A distribution installed twice on ``sys.path`` is listed once, with the version that
    ``import`` finds first.
    """
    found: dict[str, tuple[str, str]] = {}
    unreadable = 0
    for dist in importlib.metadata.distributions():
        name, version = _name_and_version(dist)
        if not name or not version:
            unreadable += 1
            continue
        found.setdefault(_NAME_SEPARATORS.sub("-", name).lower(), (name, version))
    pins = sorted(found.values(), key=lambda pin: (pin[0].lower(), pin[0]))
    return pins, unreadable


def _name_and_version(dist: importlib.metadata.Distribution) -> tuple[str | None, str | None]:
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break  # end of the headers; the description follows
        key, _, value = line.partition(":")
        if key == "Name" and name is None:
            name = value.strip()
        elif key == "Version" and version is None:
            version = value.strip()
        if name and version:
            break
    return name, version
