"""One GraphQL request, parsed, checked, validated and run, in MLflow's answer shape.

MLflow answers ``{"data": ..., "errors": [message, ...]}`` with ``errors`` null when there are
none, and always HTTP 200 once the request itself is well formed: syntax errors, queries over a
size limit, unknown fields and a failing resolver all come back in ``errors`` (each as its message
string, as MLflow sends them and its tests read them). A resolver's ``CairnError`` gives its own
message; anything else is a bug whose details go to the server log, never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLError, execute, parse, validate

from cairn.errors import CairnError

from .limits import MAX_TOKENS, query_limit_error
from .resolvers import QueryContext
from .schema import SCHEMA, proto_field

log = logging.getLogger("cairn.server")

INTERNAL_MESSAGE = "Internal server error; the server log has the details."


def run_query(
    query: str, variables: Mapping[str, Any] | None, operation_name: str | None, context: QueryContext
) -> dict[str, Any]:
    """The answer document for one request."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        return _answer(None, [exc.message])
    problem = query_limit_error(document)
    if problem is not None:
        return _answer(None, [problem])
    invalid = validate(SCHEMA, document)
    if invalid:
        return _answer(None, _messages(invalid))
    result = execute(
        SCHEMA, document, context_value=context, variable_values=dict(variables) if variables else None,
        operation_name=operation_name, field_resolver=proto_field,
    )  # fmt: skip
    assert isinstance(result, ExecutionResult)  # every resolver is synchronous
    return _answer(result.data, _messages(result.errors or ()))


def _answer(data: Any, errors: list[str]) -> dict[str, Any]:
    return {"data": data, "errors": errors or None}


def _messages(errors: Sequence[GraphQLError]) -> list[str]:
    messages = []
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, (CairnError, GraphQLError)):
            messages.append(error.message)
        else:
            log.error("GraphQL field %s failed with an unexpected %s", error.path, type(original).__name__,
                      exc_info=original)
            messages.append(INTERNAL_MESSAGE)
    return messages
