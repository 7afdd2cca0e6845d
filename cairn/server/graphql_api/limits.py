"""Limits on the size of a GraphQL query, checked on the parsed document before it is validated
or run, with MLflow's numbers and messages.

A query's cost grows with its shape, not its byte count: aliases repeat a field (and its
resolver) many times in one request, and nesting multiplies. So, per operation:

* at most ``MAX_DEPTH`` levels of nested selections;
* at most ``MAX_SELECTIONS`` field selections in all;
* at most ``MAX_ROOT_FIELDS`` fields at the top level;
* at most ``MAX_ALIASES`` aliased fields at any one level.

Fragments count where they are spread: their fields join the level of the spread (each fragment
once per level), so a query cannot spread its aliases over sibling fragments to slip past a limit.
A fragment that spreads itself only deepens the query until the depth limit stops it.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_DEPTH = 10
MAX_SELECTIONS = 1000
MAX_ROOT_FIELDS = 10
MAX_ALIASES = 10
# Parsing itself is bounded too: a query of the web UI is a few hundred tokens.
MAX_TOKENS = 20_000


def query_limit_error(document: DocumentNode) -> str | None:
    """The message for the first limit the document passes, or None when it keeps them all."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root_fields = 0
    most_aliases = 0
    selections = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        pending: list[tuple[SelectionSetNode, int]] = [(operation.selection_set, 1)]
        while pending:
            selection_set, depth = pending.pop()
            if depth > MAX_DEPTH:
                return f"Query exceeds maximum depth of {MAX_DEPTH}."
            fields = _fields_at_level(selection_set, fragments)
            for field in fields:
                selections += 1
                if selections > MAX_SELECTIONS:
                    return f"Query exceeds maximum total selections of {MAX_SELECTIONS}."
                if depth == 1:
                    root_fields += 1
                if field.selection_set is not None:
                    pending.append((field.selection_set, depth + 1))
            most_aliases = max(most_aliases, sum(1 for f in fields if f.alias is not None))
    if root_fields > MAX_ROOT_FIELDS:
        return (
            f"GraphQL queries should have at most {MAX_ROOT_FIELDS} root fields, got {root_fields} root fields. "
            "Split the query into several requests."
        )
    if most_aliases > MAX_ALIASES:
        return (
            f"GraphQL queries should have at most {MAX_ALIASES} aliases, got {most_aliases} aliases. "
            "Split the query into several requests."
        )
    return None


def _fields_at_level(selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]) -> list[FieldNode]:
    """The fields of one selection set with its inline fragments and fragment spreads merged in."""
    fields: list[FieldNode] = []
    spread: set[str] = set()
    pending = list(selection_set.selections)
    for selection in pending:  # the loop also visits what it appends
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in spread:
                spread.add(name)
                pending.extend(fragment.selection_set.selections)
    return fields
