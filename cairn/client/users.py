"""Who the SDK says is acting: runs are recorded under this name and registry writes are audited
under it, as unverified: it is what the client states. A server with ``--auth`` ignores it and
records the signed-in user."""

from __future__ import annotations

import getpass
import os

from cairn.entities import Actor
from cairn.errors import InvalidParameter
from cairn.registry.validation import validate_actor_name

ENV_USER = "CAIRN_USER"


def default_user() -> str:
    """The user a run is recorded under: CAIRN_USER, else the OS user."""
    user = os.environ.get(ENV_USER)
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def acting_user(user: str | None = None) -> str:
    """``user``, else ``CAIRN_USER``, else the OS user (the rule runs are recorded under)."""
    if user is not None:
        if not isinstance(user, str) or not user.strip():
            raise InvalidParameter("user must be a non-empty name.")
        return user.strip()
    return default_user()


def actor_of(user: str | None = None) -> Actor:
    """The unverified ``Actor`` a write names (see ``acting_user``); ``InvalidParameter`` for a
    name longer than the audit trail keeps."""
    return Actor(validate_actor_name(acting_user(user)), verified=False)
