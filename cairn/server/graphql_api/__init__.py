"""The GraphQL endpoint MLflow's web UI reads runs, experiments, metric samples and artifact
listings from (``/graphql``), with MLflow's schema and answer shape.

Built on graphql-core, the Python port of GraphQL.js (the reference implementation): it parses,
validates and executes against a schema written in GraphQL's own schema language, which is how
this package states MLflow's schema field for field. It has no dependencies of its own and the
installed mlflow already brings it (through Graphene). Graphene, MLflow's choice, adds a
class-per-type layer over graphql-core that would only restate the same schema in Python.

``sdl`` holds the schema text, ``schema`` makes it executable, ``resolvers`` answers each root
field through the domain functions the REST routes use, ``limits`` bounds query size and
``execution`` runs one request.
"""
