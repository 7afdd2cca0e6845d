"""Python environments rebuilt from recorded requirements, for ``cairn reproduce`` (a run's pinned
``environment/requirements.txt``) and ``cairn serve --env-manager venv`` (a model package's
``requirements.txt``): one builder, one cache.

``requirements`` reads requirement lines and checks them against an interpreter's installed
distributions (what is missing, and the one ``pip install`` that fixes it); ``builder`` makes a
virtual environment from them with the standard library's ``venv`` and pip, cached by the hash of
the requirements and the Python version, so the second build of the same list is instant. Cairn
itself is never installed from an index: the environment sees the Cairn that built it.
"""

from .builder import (
    CACHE_ENV_VAR,
    BuiltEnvironment,
    EnvironmentBuildFailed,
    build_environment,
    default_cache_dir,
    interpreter_version,
)
from .requirements import (
    Requirement,
    Unmet,
    parse_requirement_lines,
    pip_install_command,
    unmet_requirements,
)

__all__ = [
    "CACHE_ENV_VAR", "BuiltEnvironment", "EnvironmentBuildFailed", "Requirement", "Unmet", "build_environment",
    "default_cache_dir", "interpreter_version", "parse_requirement_lines", "pip_install_command",
    "unmet_requirements",
]
