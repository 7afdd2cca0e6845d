"""Readable generated run names (``brave-fox-042``), as MLflow gives runs without a name."""

import random

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "gentle",
    "glad", "grand", "keen", "kind", "lucid", "merry", "noble", "quick", "quiet", "rapid",
    "sharp", "silent", "steady", "swift", "tidy", "vivid", "warm", "wise", "witty", "zesty",
)
_NOUNS = (
    "badger", "bear", "cairn", "crane", "deer", "eagle", "falcon", "finch", "fox", "hare",
    "hawk", "heron", "lark", "lynx", "mole", "moose", "otter", "owl", "pike", "raven",
    "robin", "seal", "slug", "stoat", "swan", "trout", "vole", "wolf", "wren", "yak",
)


def generate_run_name(rng: random.Random | None = None) -> str:
    r = rng or random
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randrange(1000):03d}"
