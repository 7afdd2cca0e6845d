"""Run a hook when a module is imported: patch a framework the moment the program imports it,
so ``cairn.autolog()`` never imports a framework itself (MLflow's post-import hooks, in small).

A module already imported gets its hook at once; otherwise a finder on ``sys.meta_path`` wraps
the module's loader and runs the hook right after the module's code has run.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

Hook = Callable[[ModuleType], None]

_log = logging.getLogger("cairn.integrations")
_hooks: dict[str, dict[str, Hook]] = {}
_lock = threading.RLock()


def when_imported(module_name: str, key: str, hook: Hook) -> None:
    """Call ``hook(module)`` once ``module_name`` is imported (now, if it already is); ``key``
    names the hook so registering it again replaces it and ``forget`` removes it."""
    with _lock:
        module = sys.modules.get(module_name)
        if module is None:
            _hooks.setdefault(module_name, {})[key] = hook
            if not any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
                sys.meta_path.insert(0, _PostImportFinder())
            return
    _run(hook, module)


def forget(key: str) -> None:
    """Drop the hooks registered under ``key`` that have not run yet."""
    with _lock:
        for hooks in _hooks.values():
            hooks.pop(key, None)


def _run(hook: Hook, module: ModuleType) -> None:
    try:
        hook(module)
    except Exception:  # autolog must never stop the program's own import
        _log.warning("Autolog could not patch %s", module.__name__, exc_info=True)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self._finding: set[str] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        with _lock:
            if not _hooks.get(fullname) or fullname in self._finding:
                return None
            self._finding.add(fullname)
        try:
            spec = _spec_from_others(self, fullname, path, target)
        finally:
            self._finding.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookedLoader(spec.loader, fullname)
        return spec


def _spec_from_others(me: Any, fullname: str, path: Any, target: Any) -> importlib.machinery.ModuleSpec | None:
    for finder in sys.meta_path:
        if finder is me or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        # The module's spec must name the real loader (importlib.resources and pkgutil read it).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        with _lock:
            hooks = list(_hooks.pop(self._name, {}).values())
        for hook in hooks:
            _run(hook, module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
