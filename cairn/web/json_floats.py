"""Non-finite floats in JSON, as MLflow's protobuf JSON mapping writes them.

JSON has no NaN or infinity. Python's ``json`` writes bare ``NaN``/``Infinity`` tokens and orjson
writes ``null``; the mlflow client parses responses with protobuf's ``json_format``, which accepts
only the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. Every JSON document Cairn writes
(server responses, the CLI's ``--json``) goes through ``quote_non_finite`` where it may hold one.
"""

from __future__ import annotations

from typing import Any


def quote_non_finite(value: Any) -> Any:
    """``value`` with every NaN/+inf/-inf float replaced by its proto3 JSON string (``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``), through dicts, lists and tuples; the very same object when
    there is none to replace."""
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # finite; inf - inf and NaN - NaN are NaN
            return value
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if kind is dict:
        changed = False
        items = {}
        for key, item in value.items():
            new = quote_non_finite(item)
            changed = changed or new is not item
            items[key] = new
        return items if changed else value
    if kind is list or kind is tuple:
        elements = [quote_non_finite(item) for item in value]
        if any(new is not old for new, old in zip(elements, value, strict=True)):
            return elements
        return value
    return value
