"""Autolog for Hugging Face Transformers: ``Trainer.train`` gets a ``CairnCallback`` (a
``TrainerCallback``) that records the ``TrainingArguments`` and the model's config as params
(``model.<key>``), each logging step's values as metrics (step = global step: loss, learning
rate, eval metrics...), the train and eval datasets' rows as datasets, and the trained model as
a model package (Cairn's cloudpickle flavor: rows of token ids in, logits out).

Without autolog, add the callback yourself: ``Trainer(..., callbacks=[cairn.transformers.CairnCallback()])``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import _patching
from ._recording import autolog_run
from ._switch import Switch

FLAVOR = "transformers"
MODULE = "transformers.trainer"
_switch = Switch(FLAVOR, MODULE)


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> None:
    """Record every ``transformers.Trainer.train`` into the active run, or into a run started
    for it; ``disable=True`` restores the original."""
    _switch.turn(_patch, disable, log_models, log_datasets)


def _patch(module: ModuleType) -> None:
    _patching.patch(FLAVOR, module.Trainer, "train", _train)


def _train(original: Any) -> Any:
    def train(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(self, *args, **kwargs)
        from ._transformers_callback import CairnCallback

        with _patching.outermost(), autolog_run():
            if any(isinstance(c, CairnCallback) for c in self.callback_handler.callbacks):
                return original(self, *args, **kwargs)
            callback = CairnCallback(log_models=_switch.settings.log_models, log_datasets=_switch.settings.log_datasets)
            self.add_callback(callback)
            try:
                return original(self, *args, **kwargs)
            finally:
                self.remove_callback(callback)

    return train


def __getattr__(name: str) -> Any:
    # The callback subclasses TrainerCallback: defined when first asked for, so importing this
    # module does not import Transformers.
    if name == "CairnCallback":
        from ._transformers_callback import CairnCallback

        return CairnCallback
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
