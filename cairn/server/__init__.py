"""The Cairn server: MLflow's tracking REST API 2.0 and artifact proxy over the tracking domain.

Starlette for the ASGI app (routes as a plain list, one exception handler per error family, no
framework magic between a request and the domain call) and uvicorn with httptools/uvloop to
serve it. Handlers only decode the wire shape, call ``cairn.tracking`` and encode the result:
rules live in the domain, SQL in ``cairn.store``. Start it with ``cairn server`` or
``python -m cairn.server.run``.
"""
