"""Reading a patched call's arguments by name, whatever mix of positions and keywords the caller
used."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def bind(function: Callable[..., Any], *args: Any, **kwargs: Any) -> inspect.BoundArguments:
    """The call's arguments by parameter name, defaults filled in."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound


def simple_arguments(bound: inspect.BoundArguments, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The arguments that are plain values (numbers, text, booleans, ``None``): the call's own
    settings, defaults included, as params."""
    return {name: value for name, value in bound.arguments.items()
            if name not in skip and (value is None or isinstance(value, (bool, int, float, str)))}
