"""Requirement lines as the capture and model packages write them (``name==version``, or a bare
name), and how far the current interpreter meets them.

Only what Cairn writes is understood in full: a pin is met by exactly that version (a pin without a
local label such as ``+cpu`` ignores the installed version's label, as PEP 440 says, so
``torch==2.13.0`` is met by ``2.13.0+cpu``), a bare name by any version, and any other specifier (``>=``, markers) by the package being installed; the full
PEP 508 grammar would need ``packaging``, which Cairn does not depend on.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

# Cairn provides itself to every environment it builds (see builder), and reads the model flavors
# mlflow's own loader would: neither is installed from an index, nor required to load a model.
CAIRN_DISTRIBUTION = "cairn-tracker"
PROVIDED_BY_CAIRN = frozenset({CAIRN_DISTRIBUTION, "mlflow", "mlflow-skinny", "mlflow-tracing"})
_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")
_PIN = re.compile(r"^===?\s*([^\s;,]+)$")


@dataclass(frozen=True)
class Requirement:
    """One requirement line: the distribution ``name``, the pinned ``version`` (None when not
    pinned) and the ``line`` as written (what pip is given)."""

    name: str
    version: str | None
    line: str

    @property
    def key(self) -> str:
        return normalize_name(self.name)


@dataclass(frozen=True)
class Unmet:
    """A requirement the interpreter does not meet: missing (``installed`` None) or another version."""

    requirement: Requirement
    installed: str | None

    def describe(self) -> str:
        wanted = self.requirement.line
        return f"{wanted} (missing)" if self.installed is None else f"{wanted} (installed: {self.installed})"


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement_lines(text: str) -> list[Requirement]:
    """The requirements in ``text``, one per line; comments, blank lines and pip options
    (``-r``, ``--index-url``...) are skipped."""
    found: list[Requirement] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        spec = match.group(3).split(";", 1)[0].strip()
        pin = _PIN.match(spec)
        found.append(Requirement(match.group(1), pin.group(1) if pin else None, line))
    return found


def installed_versions() -> dict[str, str]:
    """Normalized distribution name -> version, for this interpreter (the first one ``import`` finds)."""
    versions: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata is not None else None
        if name:
            versions.setdefault(normalize_name(name), dist.version)
    return versions


def unmet_requirements(requirements: Iterable[Requirement], installed: dict[str, str] | None = None,
                       skip: frozenset[str] = PROVIDED_BY_CAIRN) -> list[Unmet]:
    """The requirements ``installed`` (default: this interpreter's distributions) does not meet,
    leaving out those in ``skip`` (Cairn itself and mlflow, whose loaders Cairn stands in for)."""
    have = installed_versions() if installed is None else installed
    unmet = []
    for requirement in requirements:
        if requirement.key in skip:
            continue
        version = have.get(requirement.key)
        if version is None or (requirement.version is not None and not pin_met(requirement.version, version)):
            unmet.append(Unmet(requirement, version))
    return unmet


def pin_met(pin: str, installed: str) -> bool:
    """Whether ``installed`` meets ``==pin``: a pin without a local label (``+cpu``) ignores the
    installed version's label (PEP 440's rule for local versions)."""
    return installed == pin or ("+" not in pin and installed.split("+", 1)[0] == pin)


def pip_install_command(unmet: Iterable[Unmet]) -> str:
    """The one command that installs what is missing: ``pip install 'a==1' 'b==2'``."""
    return "pip install " + " ".join(shlex.quote(u.requirement.line) for u in unmet)
