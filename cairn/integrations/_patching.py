"""Reversible patches: replace a method or function on its owner and remember the original, so
``autolog(disable=True)`` puts every original back.

A patched call made inside another autologged call (a search fitting its candidates, a pipeline
fitting its steps, a scikit-learn wrapper calling ``xgboost.train``) runs the original alone:
only the outermost call is recorded.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any

_originals: dict[str, list[tuple[Any, str, Any]]] = {}
_inside = contextvars.ContextVar("cairn_autolog_inside", default=False)


def patch(flavor: str, owner: Any, name: str, make_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace ``owner.name`` by ``make_wrapper(original)``; a second patch of the same attribute
    by the same flavor is a no-op, so ``autolog()`` may be called twice."""
    patched = _originals.setdefault(flavor, [])
    if any(o is owner and n == name for o, n, _ in patched):
        return
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    wrapper = make_wrapper(original)
    functools.update_wrapper(wrapper, original)
    wrapper.__cairn_original__ = original  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)
    patched.append((owner, name, original))


def unpatch(flavor: str) -> None:
    """Put back every original the flavor replaced."""
    for owner, name, original in reversed(_originals.pop(flavor, [])):
        setattr(owner, name, original)


def is_patched(flavor: str) -> bool:
    return bool(_originals.get(flavor))


def is_nested() -> bool:
    """True inside an autologged call: the caller records, this call only runs."""
    return _inside.get()


@contextlib.contextmanager
def outermost() -> Iterator[None]:
    token = _inside.set(True)
    try:
        yield
    finally:
        _inside.reset(token)
