"""The tracking server: MLflow's REST API 2.0 (tracking, model registry, artifact proxy) and
Cairn's own ``/api/cairn/v1`` routes (registry audit and timeline, datasets, deployments) over
the tracking and registry domains.

Handlers only decode the wire shape, call ``cairn.tracking`` or ``cairn.registry`` and encode the
result: rules live in the domain, SQL in ``cairn.store``. What every Cairn app shares (the Host
and Origin checks, body limits, the one mapping from errors to responses) comes from
``cairn.web``; this package adds the routes, the MLflow wire encoders and decoders, and its
settings. Starlette for the ASGI app and uvicorn with httptools/uvloop to serve it. Start it with
``cairn server`` or ``python -m cairn.server.run``.
"""
