"""The schema revision of an embedded or shared store, read and upgraded without opening it.

``open_database`` upgrades an older store by itself (saying so on stderr); these are for an
operator who wants to look first (``cairn db current``, ``cairn db check``) or to upgrade at a
moment of their choosing (``cairn db upgrade``), e.g. before restarting the server workers. They
work on the database, so they take a folder, ``sqlite:///`` or ``postgresql://`` URI, never a
server's URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from cairn.errors import InvalidParameter
from cairn.store import migrations
from cairn.store.database import store_revision, upgrade_store
from cairn.store.urls import display

from .tracking_uri import get_tracking_uri, is_server_uri, store_locations

# What ``StoreSchema.state`` says.
CURRENT, BEHIND, NEWER, EMPTY = "current", "behind", "newer", "empty"


@dataclass(frozen=True)
class StoreSchema:
    """Where a store's schema stands against this Cairn's migrations."""

    store: str  # the database URL, password hidden
    revision: str | None  # None: no schema yet (or no database file)
    head: str

    @property
    def state(self) -> str:
        if self.revision is None:
            return EMPTY
        if self.revision == self.head:
            return CURRENT
        return BEHIND if migrations.is_known(self.revision) else NEWER

    def to_dict(self) -> dict[str, str | None]:
        return {"store": self.store, "revision": self.revision, "head": self.head, "state": self.state}


@dataclass(frozen=True)
class SchemaUpgrade:
    store: str
    from_revision: str | None
    to_revision: str

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision

    def to_dict(self) -> dict[str, str | bool | None]:
        return {"store": self.store, "from_revision": self.from_revision, "to_revision": self.to_revision,
                "changed": self.changed}


def inspect_store_schema(tracking_uri: str | None = None) -> StoreSchema:
    """The store's revision and this Cairn's head; creates nothing."""
    url = _database_url(tracking_uri)
    return StoreSchema(display(url), store_revision(url), migrations.HEAD)


def upgrade_store_schema(tracking_uri: str | None = None) -> SchemaUpgrade:
    """Create or migrate the store to this Cairn's head (once, under the schema lock). ``StoreTooNew``
    when a newer Cairn migrated it."""
    url = _database_url(tracking_uri)
    before, after = upgrade_store(url)
    return SchemaUpgrade(display(url), before, after)


def _database_url(tracking_uri: str | None) -> str:
    uri = tracking_uri or get_tracking_uri()
    if is_server_uri(uri):
        raise InvalidParameter(
            f"'{uri}' is a server; the store's schema is managed on its database: pass the server's "
            "--backend-store-uri as --tracking-uri (a folder, sqlite:///file.db or postgresql://...)."
        )
    return store_locations(uri)[0]
