"""Failed-login throttling, per (user, address) and per address.

After ``MAX_FAILURES_PER_USER`` failed sign-ins for one user name from one address, or
``MAX_FAILURES_PER_ADDRESS`` from one address for any names, further attempts from there are
refused with 429 (and ``Retry-After``) until the window that counted them ends, whether or not
the next guess would be right. Counting per (user, address) rather than per user means an
attacker elsewhere cannot lock a user out. The counters live in the database, so every worker
process sees the same ones.
"""

from __future__ import annotations

from cairn.errors import TooManyRequests
from cairn.store import auth_events as rows
from cairn.store.database import Database
from cairn.tracking import clock

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 50
THROTTLE_WINDOW_MS = 300_000


def _keys(username: str | None, address: str) -> list[tuple[str, int]]:
    keys = [(f"address:{address}", MAX_FAILURES_PER_ADDRESS)]
    if username:
        keys.append((f"user:{username[:256]}@{address}", MAX_FAILURES_PER_USER))
    return keys


def check(db: Database, username: str | None, address: str) -> None:
    """``TooManyRequests`` while either counter is at its limit within the window."""
    now = clock.now_ms()
    with db.read() as tx:
        for key, limit in _keys(username, address):
            found = rows.failures(tx, key)
            if found is None:
                continue
            failures, start = found
            remaining = start + THROTTLE_WINDOW_MS - now
            if failures >= limit and remaining > 0:
                raise TooManyRequests(
                    "Too many failed sign-ins from this address; wait and try again, or ask an admin to check "
                    "the account.", retry_after_s=max(1, -(-remaining // 1000)),
                )


def count_failure(db: Database, username: str | None, address: str) -> None:
    now = clock.now_ms()
    with db.write() as tx:
        for key, _limit in _keys(username, address):
            rows.count_failure(tx, key, now, THROTTLE_WINDOW_MS)


def clear(db: Database, username: str, address: str) -> None:
    """Forget the (user, address) failures after a successful sign-in (only writes if any)."""
    key = _keys(username, address)[-1][0]
    with db.read() as tx:
        if rows.failures(tx, key) is None:
            return
    with db.write() as tx:
        rows.clear_failures(tx, key)
