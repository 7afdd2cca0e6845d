"""What each ``cairn`` command shows, as plain JSON-ready dicts: one module per command group.

A command builds one of these documents; ``--json`` writes it as is and ``render`` draws the same
document with Rich, so the two outputs always carry the same facts. Views read only what the
command hands them (entities from ``Client``, or ``Client`` itself for a document that needs
several calls); times are milliseconds since the epoch (UTC), sizes are bytes.
"""
