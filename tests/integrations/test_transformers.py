"""Transformers autolog on a tiny BERT built from a config (nothing downloaded): the training
arguments and model config as params, per-step logs as metrics, the data's digests, and a
package that predicts the model's logits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("accelerate", reason="the Trainer needs accelerate (the test extra installs it)")

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainingArguments,
)

import cairn
from cairn.datasets.digest import digest_frame
from tests.integrations.conftest import datasets, history, only_run

TOKENS = 8
VOCAB = 50


class Tokens(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """Rows of random token ids, labelled by their first token."""

    def __init__(self, rows: int, seed: int) -> None:
        self.ids = torch.randint(0, VOCAB, (rows, TOKENS), generator=torch.Generator().manual_seed(seed))
        self.labels = (self.ids[:, 0] > VOCAB // 2).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def _digest(data: Tokens) -> str:
    frame = pd.DataFrame({f"input_ids_{i}": data.ids[:, i].numpy() for i in range(TOKENS)})
    return digest_frame(frame.assign(labels=data.labels.numpy()))


def test_trainer_is_recorded(tracking: str) -> None:
    torch.manual_seed(0)
    cairn.autolog()
    config = BertConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    args = TrainingArguments(output_dir="out", num_train_epochs=2, per_device_train_batch_size=8, logging_steps=2,
                             eval_strategy="epoch", save_strategy="no", report_to="none", use_cpu=True,
                             disable_tqdm=True)
    train, evaluation = Tokens(32, seed=0), Tokens(16, seed=1)
    Trainer(model=model, args=args, train_dataset=train, eval_dataset=evaluation).train()

    run = only_run()
    assert run.data.params["num_train_epochs"] == "2"
    assert run.data.params["learning_rate"] == "5e-05"  # a default of TrainingArguments
    assert run.data.params["model.hidden_size"] == "16"
    assert [step for step, _ in history(run, "loss")] == [2, 4, 6, 8]
    assert [step for step, _ in history(run, "eval_loss")] == [4, 8]
    assert "train_runtime" in run.data.metrics
    assert datasets(run) == {"transformers-training": ("training", _digest(train)),
                             "transformers-evaluation": ("evaluation", _digest(evaluation))}
    loaded = cairn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is not None
    model.eval()
    with torch.no_grad():
        expected = model(input_ids=train.ids[:3]).logits.numpy()
    assert np.allclose(loaded.predict(train.ids[:3].numpy()), expected, atol=1e-5)
