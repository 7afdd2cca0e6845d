"""/graphql: the GraphQL endpoint of MLflow's web UI (``graphql_api`` has the schema and rules).

POST takes ``{"query", "variables", "operationName"}``; GET takes the same as query parameters
(``variables`` as a JSON string) or, as MLflow allows, as a JSON body. A request without a query
string, or with fields of the wrong type, is refused with 400 before GraphQL sees it; anything
wrong inside the query comes back in the answer's ``errors`` with status 200.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .fields import Fields, invalid
from .state import artifacts_of, db_of
from .wire import decode_json, read_json, wire_json

GRAPHQL_PATH = "/graphql"


async def graphql(request: Request) -> Response:
    # graphql-core (~13 MB a worker) loads with the first query, not at every worker's start.
    from .graphql_api.execution import run_query
    from .graphql_api.resolvers import QueryContext

    query, variables, operation_name = await _graphql_request(request)
    context = QueryContext(db_of(request), artifacts_of(request))
    answer = await run_in_threadpool(run_query, query, variables, operation_name, context)
    return wire_json(answer)


async def _graphql_request(request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    if request.method == "GET" and request.url.query:
        f = Fields(request.query_params)
        text = f.string("variables")
        variables: Any = decode_json(text.encode("utf-8")) if text else None
    else:
        body = await read_json(request)
        f = Fields(body)
        variables = body.get("variables")
    query = f.required_string("query")
    if variables is not None and type(variables) is not dict:
        raise invalid("variables", variables, "a JSON object")
    return query, variables, f.string("operationName") or None


def routes() -> list[Route]:
    return [Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"])]
