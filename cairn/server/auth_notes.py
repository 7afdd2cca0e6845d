"""What ``cairn server`` tells its operator at start about sign-in: a warning when anyone who can
reach a non-loopback address may change everything, and how to create the first admin."""

from __future__ import annotations

import ipaddress

from cairn.auth import users
from cairn.store.database import Database

from .config import ServerConfig

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def startup_notes(config: ServerConfig, db: Database) -> list[str]:
    if not config.auth:
        if is_loopback(config.host):
            return []
        return [(f"Warning: listening on {config.host} without --auth: anyone who can reach this address can read, "
                 "change, promote and delete everything, and the names in the audit trail are unverified. "
                 "Start it with --auth (and create an admin with `cairn users create-admin`).")]
    if not users.list_users(db):
        return [("Sign-in is on but there are no users yet: every request will be refused. Create the first admin "
                 "against this store with `cairn --tracking-uri STORE users create-admin NAME --password-stdin`.")]
    return []
