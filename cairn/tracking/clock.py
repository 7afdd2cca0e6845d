"""The clock the domain reads; tests replace ``now_ms`` to make times deterministic."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
