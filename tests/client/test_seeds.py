"""seed_everything: one call makes random, NumPy (and PyTorch when installed) repeatable."""

from __future__ import annotations

import os
import random

import numpy
import pytest

from cairn.client.capture.seeds import seed_everything
from cairn.errors import InvalidParameter


@pytest.fixture(autouse=True)
def restore_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    # seed_everything sets PYTHONHASHSEED; monkeypatch puts the old value back afterwards.
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)


def numpy_draw(seed: int) -> list[float]:
    seed_everything(seed)
    return list(numpy.random.random(5))


def random_draw(seed: int) -> list[float]:
    seed_everything(seed)
    return [random.random() for _ in range(5)]


def test_same_seed_gives_the_same_numpy_draws() -> None:
    assert numpy_draw(42) == numpy_draw(42)


def test_different_seeds_give_different_numpy_draws() -> None:
    assert numpy_draw(42) != numpy_draw(43)


def test_same_seed_gives_the_same_random_draws() -> None:
    assert random_draw(7) == random_draw(7)


def test_different_seeds_give_different_random_draws() -> None:
    assert random_draw(7) != random_draw(8)


def test_seed_is_exported_to_child_processes_through_pythonhashseed() -> None:
    seed_everything(1234)

    assert os.environ["PYTHONHASHSEED"] == "1234"


def test_returns_the_seed_and_the_libraries_seeded_as_tags() -> None:
    tags = seed_everything(42)

    assert tags["cairn.seed"] == "42"
    libraries = tags["cairn.seed.libraries"].split(",")
    assert libraries[:2] == ["random", "numpy"]
    assert libraries[-1] == "pythonhashseed"


def test_largest_32_bit_seed_is_accepted() -> None:
    assert seed_everything(2**32 - 1)["cairn.seed"] == "4294967295"


def test_numpy_integer_seed_is_accepted() -> None:
    assert seed_everything(numpy.int64(5))["cairn.seed"] == "5"  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "42", True, None])
def test_seed_outside_32_bit_range_or_not_an_integer_is_refused(seed: object) -> None:
    with pytest.raises(InvalidParameter, match="seed must be"):
        seed_everything(seed)  # type: ignore[arg-type]


def test_cairn_seed_in_the_environment_wins_over_the_seed_in_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # cairn reproduce sets CAIRN_SEED to the seed the original run recorded.
    monkeypatch.setenv("CAIRN_SEED", "7")

    assert seed_everything(123)["cairn.seed"] == "7"
    assert seed_everything()["cairn.seed"] == "7"
    assert numpy_draw(999) == numpy_draw(7)


def test_a_cairn_seed_that_is_not_an_integer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_SEED", "seven")

    with pytest.raises(InvalidParameter, match="CAIRN_SEED must be an integer"):
        seed_everything(7)


def test_same_seed_gives_the_same_torch_draws() -> None:
    torch = pytest.importorskip("torch")

    seed_everything(42)
    first = torch.rand(5)
    tags = seed_everything(42)

    assert torch.equal(first, torch.rand(5))
    assert "torch" in tags["cairn.seed.libraries"].split(",")
