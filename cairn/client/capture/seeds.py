"""Seeding every random number generator a training script is likely to use, in one call.

Third-party libraries are imported only when ``importlib.util.find_spec`` finds them, so a
library that is not installed costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import numbers
import os
import random

from cairn.errors import InvalidParameter

SEED_MAX = 2**32 - 1  # NumPy's global seeder accepts 32-bit seeds only
SEED_ENV_VAR = "CAIRN_SEED"


def seed_everything(seed: int | None = None) -> dict[str, str]:
    """Seed ``random``, NumPy, PyTorch and TensorFlow (those installed) with ``seed``.

    ``CAIRN_SEED``, when set, wins over ``seed``: ``cairn reproduce`` sets it to the seed the
    original run recorded, so a script that drew its seed at random re-runs with the same one.
    ``seed`` may be left out when ``CAIRN_SEED`` is set.

    Also sets ``PYTHONHASHSEED``: it makes string hashing reproducible in child processes
    (spawned data-loader workers, subprocesses); this interpreter's hash seed was fixed at
    start-up. NumPy's global ``np.random`` state is seeded; generators made with
    ``np.random.default_rng()`` take their own seed.

    Returns the tags to record on the run, e.g.
    ``{"cairn.seed": "42", "cairn.seed.libraries": "random,numpy,pythonhashseed"}``.
    Raises ``InvalidParameter`` unless ``seed`` is an integer from 0 to 2**32 - 1.
    """
    from_env = os.environ.get(SEED_ENV_VAR, "").strip()
    if from_env:
        if not from_env.isdigit():
            raise InvalidParameter(f"{SEED_ENV_VAR} must be an integer from 0 to {SEED_MAX}, got {from_env!r}")
        seed = int(from_env)
    if seed is None:
        raise InvalidParameter(f"seed must be an integer, got none (give one, or set {SEED_ENV_VAR})")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InvalidParameter(f"seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed <= SEED_MAX:
        raise InvalidParameter(f"seed must be between 0 and {SEED_MAX}, got {seed}")

    random.seed(seed)
    seeded = ["random"]
    if _is_installed("numpy"):
        importlib.import_module("numpy").random.seed(seed)
        seeded.append("numpy")
    if _is_installed("torch"):
        torch = importlib.import_module("torch")
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
        seeded.append("torch")
    if _is_installed("tensorflow"):
        importlib.import_module("tensorflow").random.set_seed(seed)
        seeded.append("tensorflow")
    os.environ["PYTHONHASHSEED"] = str(seed)
    seeded.append("pythonhashseed")
    return {"cairn.seed": str(seed), "cairn.seed.libraries": ",".join(seeded)}


def _is_installed(module: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a broken parent package, or a module without a spec
        return False
    # A stray folder named "torch" next to the script is a namespace package with no origin.
    return spec is not None and spec.origin is not None
