"""The registry pages: every model with its Production version (since when, put there by whom),
and one model's versions, aliases, production timeline (drawn as a Gantt chart) and audit log.
With ``--auth`` the list holds only the models the caller may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn import registry
from cairn.entities import TimelineInterval
from cairn.store.database import Database
from cairn.tracking.clock import now_ms
from cairn.web import csrf

from .pages import Handler, page
from .stores import stores_of
from .templating import Pages, format_time
from .visibility import REGISTERED_MODEL, readable_keys

MAX_MODELS_SHOWN = 500
MAX_VERSIONS_SHOWN = 500
MAX_AUDIT_EVENTS_SHOWN = 200
CHART_WIDTH = 1200  # SVG user units; the chart scales to its container
LABEL_WIDTH = 120
ROW_HEIGHT = 26
STAGES = ("Staging", "Production", "Archived")
# What the model page's JSON twin holds (the Gantt chart is drawn from ``timeline``).
MODEL_TWIN = ("model", "versions", "aliases_of", "production", "timeline", "events", "pending")
# What the page says after a change went through (``?done=``): fixed texts, never the query's.
DONE_NOTICES = {
    "promoted": "Done: the version moved to its new stage.",
    "pending": "Sign-off requested: the move waits for another user to approve it (listed under Pending sign-off).",
    "rolled-back": "Done: Production rolled back to the previous version.",
    "approved": "Approved: the version moved to its new stage.",
    "rejected": "Rejected: the request is closed and the version stays where it was.",
}


@dataclass(frozen=True)
class Bar:
    row: int
    x: float
    width: float
    kind: str
    text: str  # what hovering a bar tells: who, when, why


@dataclass(frozen=True)
class Gantt:
    rows: list[str]
    bars: list[Bar]
    start_label: str
    end_label: str
    height: int
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH
    row_height: int = ROW_HEIGHT


def current_production(intervals: list[TimelineInterval]) -> TimelineInterval | None:
    return next((i for i in reversed(intervals) if i.kind == "stage" and i.end is None), None)


def gantt(intervals: list[TimelineInterval], now: int) -> Gantt | None:
    """One row per version in Production at some time (newest on top), then one per alias."""
    if not intervals:
        return None
    stages = sorted({i.version for i in intervals if i.kind != "alias"}, reverse=True)
    aliases = sorted({i.label for i in intervals if i.kind == "alias"})
    rows = [f"v{v}" for v in stages] + [f"@{a}" for a in aliases]
    start = min(i.start for i in intervals)
    end = max(now, *(i.end or i.start for i in intervals))
    span = max(1, end - start)
    scale = (CHART_WIDTH - LABEL_WIDTH) / span
    bars = []
    for i in intervals:
        row = rows.index(f"@{i.label}" if i.kind == "alias" else f"v{i.version}")
        until = "now" if i.end is None else format_time(i.end)
        what = {"stage": f"v{i.version} in Production", "standby": f"v{i.version} on standby"}.get(
            i.kind, f"@{i.label} → v{i.version}")
        why = f": {i.start_reason}" if i.start_reason else ""
        text = f"{what} from {format_time(i.start)} until {until}, by {i.started_by}{'' if i.started_by_verified else ' (unverified)'}{why}"
        width = max(2.0, ((i.end or end) - i.start) * scale)
        bars.append(Bar(row, LABEL_WIDTH + (i.start - start) * scale, width, i.kind, text))
    return Gantt(rows, bars, format_time(start), format_time(end), len(rows) * ROW_HEIGHT + 24)


def models_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        db = stores_of(request).db

        def load() -> list[tuple[Any, TimelineInterval | None]]:
            visible = readable_keys(request, REGISTERED_MODEL)
            found = registry.search_registered_models(db, max_results=MAX_MODELS_SHOWN, visible=visible).items
            return [(m, current_production(registry.get_timeline(db, m.name, include_aliases=False))) for m in found]

        rows = await run_in_threadpool(load)
        twin = {"models": [{"model": model, "production": production} for model, production in rows]}
        return pages.render(request, "models.html", twin=twin, rows=rows, title="Models")

    return handler


def model_context(db: Database, name: str) -> dict[str, Any]:
    """What the model page shows (read in a worker thread)."""
    model = registry.get_registered_model(db, name)
    versions = registry.search_model_versions(
        db, name=name, max_results=MAX_VERSIONS_SHOWN, order=(("version_number", False),)).items
    intervals = registry.get_timeline(db, name)
    aliases_of: dict[int, list[str]] = {}
    for alias, number in sorted(model.aliases.items()):
        aliases_of.setdefault(number, []).append(alias)
    return {
        "model": model, "versions": versions, "aliases_of": aliases_of,
        "production": current_production(intervals), "timeline": intervals, "gantt": gantt(intervals, now_ms()),
        "events": registry.list_audit_events(db, name, max_results=MAX_AUDIT_EVENTS_SHOWN, newest_first=True),
        "pending": registry.list_transition_requests(db, name),
    }  # fmt: skip


async def render_model(pages: Pages, request: Request, name: str, status: int = 200, *, with_twin: bool = False,
                       **extra: Any) -> Response:
    """The model page, its forms carrying a CSRF token (``extra``: a notice, an error, the form's
    input); ``with_twin``: or its JSON twin, when asked for."""
    context = await run_in_threadpool(model_context, stores_of(request).db, name)
    twin = {key: context[key] for key in MODEL_TWIN} if with_twin else None
    token = csrf.token_for(request)
    notice = DONE_NOTICES.get(request.query_params.get("done", ""))
    return pages.render(request, "model.html", status=status, twin=twin, title=name, csrf_token=token,
                        stages=STAGES, notice=notice, **context, **extra)


def model_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        return await render_model(pages, request, request.path_params["name"], with_twin=True)

    return handler
