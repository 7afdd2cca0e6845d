"""Autolog for PyTorch Lightning: ``Trainer.fit`` gets a ``CairnCallback`` that records the
module's hyperparameters (``hparams``) and the trainer's and optimizer's settings as params,
epoch metrics (everything the module logs, step = epoch) and step metrics (``*_step`` keys,
step = global step, every ``log_every_n_steps``), the checkpoints as artifacts under
``checkpoints/``, the ``TensorDataset`` rows of the train and val loaders as datasets, and the
trained module as a model package (Cairn's cloudpickle flavor: float32 rows in, the module's
output out).

Without autolog, add the callback yourself: ``Trainer(callbacks=[cairn.lightning.CairnCallback()])``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import _patching
from ._recording import autolog_run
from ._switch import Switch

FLAVOR = "lightning"
MODULE = "lightning.pytorch"
_switch = Switch(FLAVOR, MODULE)


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> None:
    """Record every ``lightning.pytorch.Trainer.fit`` into the active run, or into a run started
    for it; ``disable=True`` restores the original."""
    _switch.turn(_patch, disable, log_models, log_datasets)


def _patch(module: ModuleType) -> None:
    _patching.patch(FLAVOR, module.Trainer, "fit", _fit)


def _fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(self, *args, **kwargs)
        from ._lightning_callback import CairnCallback

        with _patching.outermost(), autolog_run():
            if any(isinstance(c, CairnCallback) for c in self.callbacks):
                return original(self, *args, **kwargs)
            callback = CairnCallback(log_models=_switch.settings.log_models, log_datasets=_switch.settings.log_datasets)
            self.callbacks.append(callback)
            try:
                return original(self, *args, **kwargs)
            finally:
                self.callbacks.remove(callback)

    return fit


def __getattr__(name: str) -> Any:
    # The callback subclasses Lightning's Callback: defined when first asked for, so importing
    # this module does not import Lightning.
    if name == "CairnCallback":
        from ._lightning_callback import CairnCallback

        return CairnCallback
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
