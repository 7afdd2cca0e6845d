"""Model serving: ``cairn serve NAME`` answers MLflow's scoring protocol (``/invocations``) for a
deployment of a registered model, checks every request against the signature, and stamps each
prediction with an id and the version that made it.

The deployment lives in the registry (``cairn.registry.deployments``); a serving process loads
the versions it names (primary, canary, A/B arms, shadow), routes each request among them
(``deployment``), follows the registry so a promotion or rollback takes effect without a restart
(``follower``), and writes every answer to the prediction log off the request path
(``prediction_log``, ``shadow``). The app (``app``, ``invocations``) gets its Host check, body
limit and error responses from ``cairn.web``, like the tracking server. Starlette for the ASGI
app and uvicorn to run it, as the tracking server does.
"""
