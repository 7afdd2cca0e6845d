"""Reversible patches: replace a method or function on its owner and remember the original, so
``autolog(disable=True)`` puts every original back.

A patched call made while another autologged call runs (a search fitting its candidates, a
pipeline fitting its steps, a scikit-learn wrapper calling ``xgboost.train``) runs the original
alone: only the outermost call is recorded. "While" is process-wide, not per thread, because
searches fit their candidates on worker threads (joblib's threading backend).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

_originals: dict[str, list[tuple[Any, str, Any]]] = {}
_lock = threading.Lock()
_running = 0  # autologged calls in progress in this process


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
    """True while an autologged call runs: that call records, this one only runs."""
    return _running > 0


@contextlib.contextmanager
def outermost() -> Iterator[None]:
    """Mark an autologged call as running for the length of the block."""
    global _running
    with _lock:
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
