"""Persistence: the only layer that knows SQL.

``schema/`` declares the tables with SQLAlchemy Core (one shared ``MetaData``, one module per part:
tracking, dataset inputs, registry, serving); ``migrations/`` evolves them with Alembic from the
first release on; ``database.py`` opens a store (SQLite in WAL mode with one writer per process,
retries on busy) and runs migrations once. One module per kind of record (``runs``, ``metrics``,
``registry_versions``, ...) takes and returns ``cairn.entities`` dataclasses, so no ``Row`` or SQL
text leaves this package. ``search_grammar`` parses MLflow's filter language (plus OR and
parentheses) and ``search_sql`` turns it into one SQL query, so a search loads only the page asked
for. SQLAlchemy Core rather than the ORM: hot paths (metric ingest, history reads) are bulk
statements with no per-row objects.
"""
