"""The schema at /graphql is MLflow's, type for type and field for field: the web UI's queries
are written against its names."""

from __future__ import annotations

from graphql import print_schema
from graphql.utilities import lexicographic_sort_schema

from cairn.server.graphql_api.schema import SCHEMA


def test_schema_is_the_installed_mlflows() -> None:
    from mlflow.server.graphql.graphql_schema_extensions import schema as mlflow_schema

    theirs = print_schema(lexicographic_sort_schema(mlflow_schema.graphql_schema))
    assert print_schema(lexicographic_sort_schema(SCHEMA)) == theirs
