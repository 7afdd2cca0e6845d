"""Trained framework models wrapped with one ``predict(rows)`` so they can be packaged (Cairn's
``cloudpickle`` flavor) and served: the wrapper turns the rows a signature describes into what
the framework takes, and names the packages it needs (``cairn_packages``) so the package's
requirements pin them.
"""

from __future__ import annotations

from typing import Any


class XGBoostBooster:
    """An ``xgboost.Booster``; rows become a ``DMatrix``."""

    cairn_packages = ("xgboost",)

    def __init__(self, booster: Any) -> None:
        self.booster = booster

    def predict(self, data: Any) -> Any:
        import xgboost

        return self.booster.predict(xgboost.DMatrix(data))


class LightGBMBooster:
    """A ``lightgbm.Booster``; it takes rows as they are."""

    cairn_packages = ("lightgbm",)

    def __init__(self, booster: Any) -> None:
        self.booster = booster

    def predict(self, data: Any) -> Any:
        return self.booster.predict(data)


class TorchModule:
    """A ``torch.nn.Module`` (a LightningModule too) called on a float32 tensor of the rows, in
    eval mode without gradients; returns a NumPy array."""

    cairn_packages = ("torch",)

    def __init__(self, module: Any, dtype: str = "float32") -> None:
        self.module = module
        self.dtype = dtype

    def predict(self, data: Any) -> Any:
        import numpy as np
        import torch

        inputs = torch.as_tensor(np.asarray(data, dtype=self.dtype))
        self.module.eval()
        with torch.no_grad():
            out = self.module(inputs)
        return _numpy(out)


class TransformersModel:
    """A Hugging Face model called on rows of token ids (``input_ids``); returns its logits."""

    cairn_packages = ("torch", "transformers")

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, data: Any) -> Any:
        import numpy as np
        import torch

        ids = torch.as_tensor(np.asarray(data, dtype="int64"))
        self.model.eval()
        with torch.no_grad():
            out = self.model(input_ids=ids)
        return _numpy(getattr(out, "logits", out))


def _numpy(out: Any) -> Any:
    if isinstance(out, (tuple, list)):
        out = out[0]
    return out.detach().cpu().numpy()
