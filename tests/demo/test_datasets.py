"""The datasets part of the demo on a small store: profile, diff and lineage are printed."""

from __future__ import annotations

import numpy as np
from rich.console import Console

import cairn
from cairn.demo.commands import show
from cairn.demo.datasets import drop_outliers, log_split, run_dataset_demo


def test_demo_prints_profile_diff_with_a_data_change_and_lineage(store) -> None:
    rng = np.random.default_rng(5)
    data = (rng.normal(size=(400, 3)), rng.normal(size=(100, 3)), rng.integers(0, 2, 400), rng.integers(0, 2, 100))
    client = cairn.Client()
    experiment = cairn.set_experiment("demo")
    for auc, split in ((0.91, data), (0.95, drop_outliers(data))):
        with cairn.start_run() as run:
            log_split(split[0], split[2], split[1], split[3], ["radius", "texture", "area"])
            cairn.log_metric("best_val_auc", auc)
            cairn.log_text("weights", "model/model.pkl")
    client.register_model(f"runs:/{run.info.run_id}/model", "demo-model")
    client.promote("demo-model", 1, "Production")
    console = Console(record=True, width=200, color_system=None)
    run_dataset_demo(client, experiment.experiment_id, console, cairn.get_tracking_uri(), model_name="demo-model")
    text = console.export_text()
    assert "$ cairn datasets show breast-cancer-training@" in text and "radius" in text
    assert "rows 400 → 380 (-20)" in text and "different data" in text
    assert "$ cairn lineage models:/demo-model/Production" in text and "demo-model v1" in text


def test_a_shown_command_that_fails_prints_its_error_line(store) -> None:
    console = Console(record=True, width=120, color_system=None)
    assert not show(console, ["models", "show", "no-such-model"], cairn.get_tracking_uri())
    text = console.export_text()
    assert "$ cairn models show no-such-model" in text
    assert "Error: " in text and "no-such-model" in text and "Traceback" not in text
