"""Who may act: users and service accounts, passwords, API tokens, per-resource permissions and
the route table that maps every route of the servers to who may call it (deny by default).

Layout: ``passwords`` (Argon2id via argon2-cffi), ``users``, ``tokens``, ``permissions`` (levels,
capabilities, token scopes), ``grants`` (who holds what on which experiment or model),
``credentials`` and ``authentication`` (an ``Authorization`` header to a ``Principal``),
``throttle`` (failed sign-ins), ``route_table`` and ``access`` (the decision per request) and
``audit`` (the append-only log of changes to users, tokens and grants).

The HTTP side (reading a request's resource, answering 401/403/429) lives in the servers that
use these rules; the embedded store never signs anyone in.
"""
