"""The web UI that ``cairn server`` serves at ``/``: server-rendered pages over the domain functions.

Pages are Jinja2 templates (autoescaped) filled by small handlers that read through
``cairn.tracking`` and ``cairn.registry``, never the store, so the UI has no rules of its own.
htmx swaps parts of a page (runs table, artifact previews) without a build step; one small ES
module draws charts with uPlot from the downsampling endpoint. Third-party files are pinned npm
versions copied into ``static/vendor/`` by ``make ui-vendor`` (``scripts/ui_vendor.py``) and ship
inside the wheel: the browser never needs the network, and users never need Node.js.
"""

from cairn.ui.routes import routes

__all__ = ["routes"]
