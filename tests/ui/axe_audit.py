"""Running axe-core in a page under test: it is read from ``tests/ui/vendor/`` (vendored by
``make ui-vendor``) and injected as an inline script, so Cairn never serves it. The audit fails on
serious and critical violations and prints each with the elements it found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import shoot

VENDOR = Path(__file__).parent / "vendor"
AXE = VENDOR / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def blocking_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; the serious and critical violations."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines())
            lines.append(f"    at {json.dumps(node['target'])} {node.get('html', '')[:160]}: {summary}")
    return "\n".join(lines)


def audit(page: Any, url: str, scheme: str, name: str, prepare: Callable[[Any], None] | None = None) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(url)
    if prepare is not None:
        prepare(page)
    found = blocking_violations(page)
    if found:
        shoot(page, f"axe-{name}-{scheme}")
    assert not found, f"axe found serious or critical problems on {name} ({scheme}):\n{describe(found)}"
