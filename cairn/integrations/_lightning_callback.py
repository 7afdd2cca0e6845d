"""``CairnCallback``: a Lightning callback that records a fit into the active run, or into a
run it starts at ``on_fit_start`` and ends at ``on_fit_end`` (FAILED on an exception)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch import Callback

from cairn.client import fluent
from cairn.entities import RunStatus

from ._predictors import TorchModule
from ._recording import log_dataset, log_metrics, log_model, log_params, quietly
from ._torch_data import first_features, tensor_rows

CHECKPOINTS_PATH = "checkpoints"
STEP_SUFFIX = "_step"
# The trainer settings recorded as params.
TRAINER_SETTINGS = ("max_epochs", "max_steps", "min_epochs", "accumulate_grad_batches", "precision",
                    "gradient_clip_val", "log_every_n_steps", "check_val_every_n_epoch", "num_devices")


class CairnCallback(Callback):
    """Records hyperparameters, trainer and optimizer settings, epoch and step metrics,
    checkpoints, the loaders' ``TensorDataset`` rows and the trained module."""

    def __init__(self, log_models: bool = True, log_datasets: bool = True, log_checkpoints: bool = True) -> None:
        self.log_models = log_models
        self.log_datasets = log_datasets
        self.log_checkpoints = log_checkpoints
        self._started_run = False
        self._epoch_of: dict[str, int] = {}  # the last epoch each metric was logged for

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if fluent.active_run() is None:
            fluent.start_run()
            self._started_run = True

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        params: dict[str, Any] = dict(pl_module.hparams)
        params.update({name: getattr(trainer, name) for name in TRAINER_SETTINGS if hasattr(trainer, name)})
        for i, optimizer in enumerate(trainer.optimizers):
            prefix = "optimizer" if i == 0 else f"optimizer_{i}"
            params[f"{prefix}_name"] = type(optimizer).__name__
            group = optimizer.param_groups[0] if optimizer.param_groups else {}
            params.update({f"{prefix}_{k}": v for k, v in group.items()
                           if k != "params" and (v is None or isinstance(v, (bool, int, float, str, tuple)))})
        log_params(params)
        if self.log_datasets:
            self._log_loader_data(trainer.train_dataloader, "training")
            self._log_loader_data(trainer.val_dataloaders, "evaluation")

    def _log_loader_data(self, loader: Any, context: str) -> None:
        rows = tensor_rows(getattr(loader, "dataset", None))
        if rows is not None:
            log_dataset(rows[0], rows[1], f"lightning-{context}", context)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if trainer.global_step % max(trainer.log_every_n_steps, 1) == 0:
            step_metrics = {k: v for k, v in trainer.logged_metrics.items() if k.endswith(STEP_SUFFIX)}
            log_metrics(step_metrics, step=trainer.global_step)

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.sanity_checking:
            self._log_epoch(trainer)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._log_epoch(trainer)

    def _log_epoch(self, trainer: Any) -> None:
        """The epoch's metrics, each once: validation ends before the training epoch does."""
        epoch = trainer.current_epoch
        metrics = {k: v for k, v in trainer.callback_metrics.items()
                   if not k.endswith(STEP_SUFFIX) and self._epoch_of.get(k) != epoch}
        self._epoch_of.update(dict.fromkeys(metrics, epoch))
        log_metrics(metrics, step=epoch)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.log_checkpoints:
            self._log_checkpoints(trainer)
        if self.log_models:
            log_model(TorchModule(pl_module), first_features(trainer.train_dataloader))
        if self._started_run:
            self._started_run = False
            fluent.end_run()

    def _log_checkpoints(self, trainer: Any) -> None:
        for callback in trainer.checkpoint_callbacks:
            folder = getattr(callback, "dirpath", None)
            if folder and Path(folder).is_dir():
                for file in sorted(Path(folder).glob("*.ckpt")):
                    quietly("log a checkpoint", fluent.log_artifact, str(file), CHECKPOINTS_PATH)
            best = getattr(callback, "best_model_path", "")
            if best:
                log_params({"best_checkpoint": Path(best).name})

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self._started_run:
            self._started_run = False
            status = RunStatus.KILLED if isinstance(exception, KeyboardInterrupt) else RunStatus.FAILED
            quietly("end the run", fluent.end_run, status.value)
