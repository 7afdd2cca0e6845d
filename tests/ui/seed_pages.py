"""Data for the model-version, deployment and dataset pages, put on the UI suite's server the way
users put it there: a scikit-learn model trained and logged with the SDK (its run carrying code,
environment and seed context, slice metrics, and a training dataset with a profile), registered
three times, promoted through a metric gate and a sign-off, deployed with a canary and a shadow,
then served by a real `cairn serve` whose prediction log reaches the server; and a second,
drifted dataset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

import cairn
from cairn.entities import Policy
from cairn.registry.policies import parse_metric_requirement

MODEL = "fraud-model"
COMMIT = "3f2a9c1b0d4e4f5a8b7c6d5e4f3a2b1c0d9e8f7a"
REMOTE = "git@github.com:acme/fraud-detection.git"
REQUESTS = 40
CANARY_PERCENT = 25.0
PREDICTIONS_TIMEOUT_S = 60
DIFF = """diff --git a/train.py b/train.py
index 83db48f..bf269f4 100644
--- a/train.py
+++ b/train.py
@@ -1,4 +1,4 @@
 import pandas as pd
-C = 1.0
+C = 0.5  # <script>alert("not run")</script>
 model = fit(C)
"""
# The packages this environment has: `cairn serve` refuses a model whose requirements are unmet.
REQUIREMENTS = "".join(f"{name}=={metadata.version(name)}\n" for name in ("numpy", "pandas", "scikit-learn", "scipy"))
SKLEARN_PIN = f"scikit-learn=={metadata.version('scikit-learn')}"
CONTEXT_TAGS = {
    "cairn.git.available": "true", "mlflow.source.git.commit": COMMIT, "mlflow.source.git.branch": "feature/threshold",
    "mlflow.source.git.repoURL": REMOTE, "cairn.git.dirty": "true", "cairn.git.diff_files": "1",
    "mlflow.source.name": "train.py", "cairn.python.version": "3.11.9", "cairn.python.implementation": "CPython",
    "cairn.os": "Linux-6.1.0-x86_64-with-glibc2.36", "cairn.cpu.model": "AMD EPYC 7B13", "cairn.cpu.count": "2",
    "cairn.ram.bytes": str(8 * 1024**3), "cairn.env.packages": "4",
}  # fmt: skip


@dataclass
class PagesSeed:
    url: str
    model: str
    run_id: str
    train_digest: str
    live_digest: str
    prediction_ids: list[str] = field(default_factory=list)
    outcome_id: str = ""


def frames(seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = 400
    return pd.DataFrame({
        "amount": (rng.gamma(2.0, 30.0, rows) * shift).round(2),
        "age": rng.integers(18, 80, rows).astype("int64"),
        "country": rng.choice(["FR", "DE", "US"], rows, p=[0.5, 0.3, 0.2] if shift == 1.0 else [0.2, 0.3, 0.5]),
    })


def seed_pages(url: str, folder: Path, launch_serve: Callable[..., Iterator[str]]) -> PagesSeed:
    from sklearn.linear_model import LogisticRegression

    cairn.set_tracking_uri(url)
    client = cairn.Client(url)
    try:
        cairn.set_experiment("fraud")
        train, live = frames(7, 1.0), frames(8, 1.8)
        features = train[["amount", "age"]].astype("float64")
        labels = (train["amount"] > 60).astype(int)
        with cairn.start_run(run_name="fraud-train") as run:
            cairn.set_tags(CONTEXT_TAGS)
            cairn.seed_everything(42)
            cairn.log_text(DIFF, "code/diff.patch")
            cairn.log_text(REQUIREMENTS, "environment/requirements.txt")
            cairn.log_params({"C": 0.5, "threshold": 0.5})
            cairn.log_metrics({"auc": 0.91, "recall": 0.84})
            cairn.log_metrics({"slice/country:FR/auc": 0.93, "slice/country:FR/rows": 200,
                               "slice/country:US/auc": 0.78, "slice/country:US/rows": 80})
            train_set = cairn.log_dataset(train, "fraud-train", context="training")
            model = LogisticRegression(C=0.5).fit(features, labels)
            cairn.log_model(model, "model", input_example=features.head(3), registered_model_name=MODEL)
        for _ in range(2):  # v2 (the shadow) and v3 (the canary) from the same run
            client.register_model(f"runs:/{run.info.run_id}/model", MODEL, user="alice")
        with cairn.start_run(run_name="fraud-live-check"):
            live_set = cairn.log_dataset(live, "fraud-live", context="evaluation")
        client.set_policy(MODEL, Policy(required_metrics=(parse_metric_requirement("auc >= 0.8"),),
                                        require_signoff=True), user="alice")
        client.promote(MODEL, 1, "Production", reason="beats the rules engine", user="alice")
        client.approve_transition(MODEL, 1, comment="evaluation report checked", user="bob")
        client.set_deployment(MODEL, canary_version=3, canary_percent=CANARY_PERCENT, shadow_version=2,
                              reason="try v3 on a quarter, mirror v2", user="carol")
        seeded = PagesSeed(url, MODEL, run.info.run_id, train_set.digest, live_set.digest)
        serving = launch_serve(url, MODEL, folder)
        served = next(serving)
        try:
            for i in range(REQUESTS):
                row = live.iloc[i]
                body = {"dataframe_records": [{"amount": float(row["amount"]), "age": float(row["age"])}]}
                answer = httpx.post(served + "/invocations", json=body, timeout=30)
                answer.raise_for_status()
                seeded.prediction_ids.extend(answer.json()["prediction_ids"])
        finally:
            serving.close()  # stops `cairn serve`, which flushes its prediction log first
        deadline = time.monotonic() + PREDICTIONS_TIMEOUT_S
        while len(client.search_predictions(MODEL, max_results=1000)) < 2 * REQUESTS:  # answers and shadow copies
            assert time.monotonic() < deadline, "the prediction log never reached the server"
            time.sleep(0.2)  # polling for the log's arrival, not ordering test steps
        answered = {p.prediction_id for p in client.search_predictions(MODEL, arm="primary", max_results=1000)}
        seeded.outcome_id = next(pid for pid in seeded.prediction_ids if pid in answered)
        client.log_outcome(seeded.outcome_id, 1.0, user="dana")
        return seeded
    finally:
        client.close()
        cairn.set_tracking_uri(None)
