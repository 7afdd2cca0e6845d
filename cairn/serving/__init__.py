"""Model serving: ``cairn serve NAME`` answers MLflow's scoring protocol (``/invocations``) for a
deployment of a registered model, checks every request against the signature, and stamps each
prediction with an id and the version that made it.

A ``Deployment`` names its arms; today one primary arm serves every request. Starlette for the
ASGI app and uvicorn to run it, as the tracking server does.
"""
