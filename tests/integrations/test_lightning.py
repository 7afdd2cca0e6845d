"""PyTorch Lightning autolog on a tiny real module: hyperparameters and trainer settings, epoch
and step metrics, checkpoints as artifacts, the loaders' data digests, and a package that
predicts what the module does; the callback on its own starts and ends a run."""

from __future__ import annotations

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import cairn
from cairn.datasets.digest import digest_frame
from tests.integrations.conftest import artifact_paths, datasets, history, only_run

EPOCHS = 3
pytestmark = [
    # Lightning's own advice on a CPU-only machine and a tiny loader.
    pytest.mark.filterwarnings("ignore:.*does not have many workers.*"),
    pytest.mark.filterwarnings("ignore:.*number of training batches.*"),
    pytest.mark.filterwarnings("ignore:.*GPU available but not used.*"),
    pytest.mark.filterwarnings("ignore:.*no `val_dataloader`.*"),
    # Lightning 2.6 on PyTorch 2.13: Lightning's own use of a PyTorch API PyTorch deprecates.
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
]


class Regressor(pl.LightningModule):
    def __init__(self, hidden: int = 4, lr: float = 0.05) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple, index: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple, index: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=generator)
    return x, x.sum(1, keepdim=True)


def _trainer(*callbacks: pl.Callback) -> pl.Trainer:
    return pl.Trainer(max_epochs=EPOCHS, default_root_dir="lightning", enable_progress_bar=False,
                      enable_model_summary=False, logger=False, log_every_n_steps=2, accelerator="cpu",
                      callbacks=list(callbacks))


def _digest(x: torch.Tensor, y: torch.Tensor) -> str:
    frame = pd.DataFrame(x.numpy(), columns=[f"x{i}" for i in range(x.shape[1])]).assign(target=y.numpy()[:, 0])
    return digest_frame(frame)


def test_autolog_records_a_fit(tracking: str) -> None:
    torch.manual_seed(0)
    x, y = _data()
    cairn.autolog()
    module = Regressor()
    _trainer().fit(module, DataLoader(TensorDataset(x, y), batch_size=16), DataLoader(TensorDataset(x[:16], y[:16]), batch_size=16))

    run = only_run()
    assert {k: run.data.params[k] for k in ("hidden", "lr", "max_epochs", "optimizer_name")} == {
        "hidden": "4", "lr": "0.05", "max_epochs": str(EPOCHS), "optimizer_name": "Adam"}
    assert run.data.params["optimizer_eps"] == "1e-08"  # the optimizer's default
    assert [step for step, _ in history(run, "val_loss")] == list(range(EPOCHS))
    assert [step for step, _ in history(run, "train_loss_epoch")] == list(range(EPOCHS))
    assert [step for step, _ in history(run, "train_loss_step")] == [2, 4, 6, 8, 10, 12]
    assert datasets(run) == {"lightning-training": ("training", _digest(x, y)),
                             "lightning-evaluation": ("evaluation", _digest(x[:16], y[:16]))}
    assert artifact_paths(run, "checkpoints") == [f"checkpoints/epoch={EPOCHS - 1}-step=12.ckpt"]
    loaded = cairn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is not None
    module.eval()
    assert np.allclose(loaded.predict(x[:5].numpy()), module(x[:5]).detach().numpy(), atol=1e-6)
    assert "torch==" in (loaded.path / "requirements.txt").read_text()


def test_callback_alone_starts_and_ends_its_run(tracking: str) -> None:
    x, y = _data()
    _trainer(cairn.lightning.CairnCallback(log_models=False, log_checkpoints=False)).fit(
        Regressor(), DataLoader(TensorDataset(x, y), batch_size=32))

    run = only_run()
    assert cairn.active_run() is None
    assert [step for step, _ in history(run, "train_loss_epoch")] == list(range(EPOCHS))
    assert artifact_paths(run) == []
