"""The model under test: a seeded classifier logged to a fresh embedded store, registered as
``bench-model`` version 1 and promoted to Production, exactly as a user would do it.

Besides the store, ``build`` leaves two things the benchmark needs: the registered package
downloaded from the artifact store into a plain folder (the MLflow layout, which
``mlflow models serve`` reads as is) and the package loaded back with ``cairn.load_model``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MODEL_NAME = "bench-model"
SEED = 20_240_601
TRAIN_ROWS = 1_000
FEATURES = [f"f{i}" for i in range(10)]


@dataclass
class BenchModel:
    store: Path
    package: Path
    estimator: Any
    loaded: Any
    version: str
    rows: list[list[float]]
    frames: list[pd.DataFrame]
    expected: list[Any]

    def body(self, i: int) -> dict[str, Any]:
        """The single-row scoring request for pool row ``i``."""
        return {"dataframe_split": {"columns": FEATURES, "data": [self.rows[i]]}}


def make_data(rows: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=FEATURES)
    signal = X["f0"] - 0.5 * X["f1"] + X["f2"] * X["f3"] + 0.3 * rng.normal(size=rows)
    return X, (signal > 0).astype(int)


def build(folder: Path, pool: int) -> BenchModel:
    """Train, log, register and promote the model in a store under ``folder``; load it back.

    ``pool`` rows (not seen in training) become the requests; ``expected`` holds the
    in-process prediction for each, made one row at a time like the servers will.
    """
    from sklearn.ensemble import GradientBoostingClassifier

    import cairn
    from cairn.client import fluent, tracking_uri
    from cairn.client.models import download_model, load_model

    store = folder / "store"
    previous = os.environ.get("CAIRN_CAPTURE")
    os.environ["CAIRN_CAPTURE"] = "none"
    fluent.set_tracking_uri(store)
    try:
        X, y = make_data(TRAIN_ROWS)
        estimator = GradientBoostingClassifier(random_state=SEED).fit(X, y)
        with cairn.start_run(run_name="bench-serving"):
            cairn.log_model(estimator, "model", input_example=X.head(), registered_model_name=MODEL_NAME)
        client = cairn.Client()
        client.promote(MODEL_NAME, 1, "Production", reason="benchmark")
        # the registry names the package by an artifact URI; the store keeps content-addressed
        # blobs, so mlflow gets a downloaded copy of the same files
        package, version = download_model(f"models:/{MODEL_NAME}/1", client, folder / "package")
        assert version is not None
        # what cairn.load_model does, with the copy placed in our folder rather than a new temp one
        loaded = load_model(f"models:/{MODEL_NAME}/1", client, dst_path=folder / "loaded")
        client.close()
    finally:
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()
        if previous is None:
            os.environ.pop("CAIRN_CAPTURE", None)
        else:
            os.environ["CAIRN_CAPTURE"] = previous

    X_pool, _ = make_data(pool, seed=SEED + 1)
    frames = [X_pool.iloc[[i]].reset_index(drop=True) for i in range(pool)]
    expected = [plain_prediction(loaded.predict(frame)) for frame in frames]
    return BenchModel(store, Path(package), estimator, loaded, str(version.version),
                      X_pool.values.tolist(), frames, expected)  # fmt: skip


def plain_prediction(predictions: Any) -> Any:
    """A one-row prediction as the plain value a scoring server puts in JSON."""
    values = predictions.tolist() if hasattr(predictions, "tolist") else list(predictions)
    return values[0] if len(values) == 1 else values
