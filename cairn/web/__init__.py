"""What every HTTP app Cairn runs shares: the tracking server (``cairn.server``), model serving
(``cairn.serving``) and the web UI the server mounts.

* ``host_check``: the ``Host`` and ``Origin`` checks against DNS rebinding and CSRF (403).
* ``body_limit``: request bodies above a limit refused with 413 before they are read whole.
* ``errors``: the one mapping from an exception to a response: a ``CairnError`` becomes
  ``{"error_code", "message"}`` with its own HTTP status; anything else a generic 500 whose
  details go to the server log only.
* ``csrf``: signed double-submit tokens for HTML forms (403 when missing or wrong).
* ``session_cookie``: the web UI's session cookie and its flags (what it stands for is
  ``cairn.auth.sessions``').
* ``version``: the Cairn version an app reports on ``/version``.

Starlette, because it is ASGI with nothing hidden between a request and a handler: middleware is
plain ASGI (so the checks here sit in front of any app without importing it), exception handlers
are looked up by class in one place, and routes are a plain list. This layer imports only
Starlette, ``cairn.errors`` and the standard library; it knows no app's routes.
"""
