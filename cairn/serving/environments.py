"""Which Python environment a served model version runs in (``cairn serve --env-manager``).

``local`` (the default): this process, and a version whose recorded ``requirements.txt`` this
interpreter does not meet is refused at load with what is missing and the one ``pip install``
that fixes it. ``venv``: each version runs in a worker process inside a virtual environment built
from its requirements by the same builder and cache as ``cairn reproduce``
(``cairn.client.environments``), so versions pinned to different library releases serve side by
side. mlflow itself is never installed there: Cairn reads the flavors mlflow's loader would.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

from cairn.client.environments import (
    BuiltEnvironment,
    Requirement,
    build_environment,
    parse_requirement_lines,
    pip_install_command,
    unmet_requirements,
)
from cairn.client.environments.requirements import CAIRN_DISTRIBUTION, PROVIDED_BY_CAIRN
from cairn.errors import CairnError, InvalidParameter

LOCAL, VENV = "local", "venv"
ENV_MANAGERS = (LOCAL, VENV)
REQUIREMENTS_FILE = "requirements.txt"
# What a worker imports besides Cairn's own requirements: the MLmodel reader and the scoring rows.
WORKER_EXTRAS = ("pyyaml", "numpy", "pandas")


class RequirementsNotMet(CairnError):
    """A model version needs packages this environment lacks (``--env-manager local``)."""


def model_requirements(folder: Path) -> list[Requirement]:
    path = folder / REQUIREMENTS_FILE
    return parse_requirement_lines(path.read_text(encoding="utf-8", errors="replace")) if path.is_file() else []


def require_requirements_met(folder: Path, label: str) -> None:
    """``RequirementsNotMet`` naming what the package in ``folder`` needs and this interpreter lacks."""
    unmet = unmet_requirements(model_requirements(folder))
    if unmet:
        raise RequirementsNotMet(
            f"Model {label} needs packages this environment does not have: "
            + ", ".join(u.describe() for u in unmet) + f". Install them with: {pip_install_command(unmet)} "
            "(or serve with --env-manager venv, which builds an environment from the model's requirements).")


def check_env_manager(env_manager: str) -> str:
    if env_manager not in ENV_MANAGERS:
        raise InvalidParameter(f"--env-manager must be 'local' or 'venv', not {env_manager!r}.")
    return env_manager


def build_model_environment(folder: Path, cache_dir: Path | None = None,
                            progress: Callable[[str], None] | None = None) -> BuiltEnvironment:
    """The venv a worker runs the package in ``folder``: its requirements (mlflow left out) plus
    what the worker itself imports, pinned to this interpreter's versions where the model does not
    pin them."""
    wanted = [r for r in model_requirements(folder) if r.key not in PROVIDED_BY_CAIRN]
    named = {r.key for r in wanted}
    for spec in (*_cairn_requirements(), *WORKER_EXTRAS):
        requirement = parse_requirement_lines(spec)[0]
        if requirement.key in named:
            continue
        named.add(requirement.key)
        version = _installed(requirement.name)
        line = f"{requirement.name}{_extras(spec) or ''}" + (f"=={version}" if version else "")
        wanted.append(parse_requirement_lines(line)[0])
    return build_environment(wanted, None, cache_dir, exact=False, progress=progress)


def _cairn_requirements() -> list[str]:
    """Cairn's own runtime requirements (names, extras kept): from ``pyproject.toml`` when the
    running Cairn is a source checkout (it describes this very code), else its installed metadata."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        listed = list(project.get("dependencies", [])) if project.get("name") == CAIRN_DISTRIBUTION else []
    else:
        listed = []
    if not listed:
        try:
            listed = importlib.metadata.requires(CAIRN_DISTRIBUTION) or []
        except importlib.metadata.PackageNotFoundError:
            raise CairnError(f"Serving in a venv needs Cairn installed as the '{CAIRN_DISTRIBUTION}' distribution "
                             "(its requirements are read from there); install it with pip.") from None
    names = []
    for line in listed:
        if "extra ==" in line:
            continue
        requirement = parse_requirement_lines(line.split(";", 1)[0])[0]
        names.append(requirement.name + (_extras(line) or ""))
    return names


def _extras(line: str) -> str | None:
    start, end = line.find("["), line.find("]")
    return line[start : end + 1] if 0 <= start < end else None


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name.split("[", 1)[0])
    except importlib.metadata.PackageNotFoundError:
        return None
