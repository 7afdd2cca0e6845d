"""The web UI that ``cairn server`` serves at ``/``: server-rendered pages over the domain functions.

Pages are Jinja2 templates (autoescaped) filled by small handlers that read through
``cairn.tracking`` and ``cairn.registry``, never the store, so the UI has no rules of its own.
htmx swaps parts of a page (runs table, artifact previews) without a build step; one small ES
module draws charts with uPlot from the downsampling endpoint. Third-party files are pinned npm
versions copied into ``static/vendor/`` by ``make ui-vendor`` (``scripts/ui_vendor.py``) and ship
inside the wheel: the browser never needs the network, and users never need Node.js.

JSON twins: every page answers ``?format=json`` with the data it renders, built by the same
handler (``json_twin``): ``curl 'http://127.0.0.1:5000/models?format=json'``. A query parameter,
not ``Accept``, so a twin is a plain link and no cache mixes the two answers of one URL.

Sign-in (a server with ``--auth``): the login page (``login``) checks a password as the API's
HTTP Basic does and starts a session (``cairn.auth.sessions``) whose cookie signs the browser in
to the UI's routes only. Pages naming an experiment, run or model are checked by the server's
route table before their handler runs; lists and cross-links show only what the caller may read
(``visibility``). An anonymous browser is sent to the login page (``sign_in_gate``).
"""

from cairn.ui.routes import routes

__all__ = ["routes"]
