"""Changing a run's parameters on its recorded command line, for ``cairn runs branch``.

A script receives its parameters through its command line, so a parameter is changed there: where
it appears as ``--name VALUE`` or ``--name=VALUE`` (the name as logged, or with ``_`` and ``-``
swapped: ``n_estimators`` is found as ``--n-estimators``), its value is replaced; a parameter left
at its default is appended as ``--name VALUE`` when the script's source declares that option (a
quoted ``"--name"``). Anything else is refused, naming the options the command line does have.
"""

from __future__ import annotations

from collections.abc import Mapping

from cairn.errors import InvalidParameter


def parse_param_assignments(items: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a mapping; ``InvalidParameter`` for an item without ``=``."""
    changes: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidParameter(f"--param takes KEY=VALUE, got {item!r}.")
        changes[key.strip()] = value
    return changes


def apply_param_changes(arguments: list[str], params: Mapping[str, str], changes: Mapping[str, str],
                        script: str | None = None) -> tuple[list[str], dict[str, dict[str, str | None]]]:
    """``arguments`` with each changed parameter's value replaced (or its option appended when
    ``script``, the entry point's source, declares it), and ``{key: {"from", "to"}}``."""
    new = list(arguments)
    applied: dict[str, dict[str, str | None]] = {}
    for key, value in changes.items():
        spellings = {f"--{key}", f"--{key.replace('_', '-')}", f"--{key.replace('-', '_')}"}
        position = _find_option(new, spellings)
        declared = _declared(script, spellings)
        if position is None and declared is not None:
            new += [declared, value]
            applied[key] = {"from": params.get(key), "to": value}
            continue
        if position is None:
            options = sorted({a.split("=", 1)[0] for a in new if a.startswith("--")})
            listed = ", ".join(options) if options else "none"
            raise InvalidParameter(
                f"Parameter '{key}' is not on the recorded command line (its options: {listed}); a branch "
                "can change only parameters the script takes as --NAME VALUE.")
        index, inline = position
        if inline:
            new[index] = new[index].split("=", 1)[0] + "=" + value
        else:
            new[index + 1] = value
        applied[key] = {"from": params.get(key), "to": value}
    return new, applied


def _declared(script: str | None, spellings: set[str]) -> str | None:
    if not script:
        return None
    for spelling in sorted(spellings):
        if f'"{spelling}"' in script or f"'{spelling}'" in script:
            return spelling
    return None


def _find_option(arguments: list[str], spellings: set[str]) -> tuple[int, bool] | None:
    for index, argument in enumerate(arguments):
        if argument in spellings and index + 1 < len(arguments):
            return index, False
        if "=" in argument and argument.split("=", 1)[0] in spellings:
            return index, True
    return None
