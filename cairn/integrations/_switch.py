"""One framework's autolog switch: the options ``autolog()`` was given, and its patch, applied when
the program imports the framework and removed by ``autolog(disable=True)``. Every framework module
keeps one, so turning autolog on and off is written once."""

from __future__ import annotations

from . import _imports, _patching
from ._imports import Hook
from ._recording import Settings


class Switch:
    def __init__(self, flavor: str, module: str) -> None:
        self.flavor, self.module = flavor, module
        self.settings = Settings()

    def turn(self, patch: Hook, disable: bool, log_models: bool, log_datasets: bool) -> None:
        """Patch with ``patch`` once ``module`` is imported (at once if it is), or with
        ``disable`` put the originals back and forget the pending patch."""
        if disable:
            _imports.forget(self.flavor)
            _patching.unpatch(self.flavor)
            return
        self.settings = Settings(log_models=log_models, log_datasets=log_datasets)
        _imports.when_imported(self.module, self.flavor, patch)
