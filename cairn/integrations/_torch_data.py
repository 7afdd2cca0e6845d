"""Reading rows out of PyTorch data for datasets and input examples: the tensors of a
``TensorDataset`` (features first, then the target), the first batch of a data loader."""

from __future__ import annotations

from typing import Any

from ._recording import INPUT_EXAMPLE_ROWS


def tensor_rows(dataset: Any) -> tuple[Any, Any] | None:
    """``(features, target)`` as NumPy arrays for a ``TensorDataset`` (target ``None`` when it
    holds one tensor); ``None`` for any other dataset, whose rows Cairn cannot read without
    iterating it."""
    tensors = getattr(dataset, "tensors", None)
    if not tensors:
        return None
    arrays = [t.detach().cpu().numpy() for t in tensors]
    return arrays[0], (arrays[1] if len(arrays) > 1 else None)


def first_features(loader: Any) -> Any:
    """The first rows of the first batch's features (the batch itself, or its first element),
    as a NumPy array; ``None`` for a batch of another shape (a dict, a string)."""
    try:
        batch = next(iter(loader))
    except Exception:
        return None
    if isinstance(batch, (tuple, list)) and batch:
        batch = batch[0]
    if not hasattr(batch, "detach"):
        return None
    return batch[:INPUT_EXAMPLE_ROWS].detach().cpu().numpy()
