"""The deployment page's prediction list: its filters (arm, version, time window, the prediction
filter grammar) read from the query string, and server-side paging newest first.

Pages are keyset cursors, not offsets, so a page stays put while new predictions arrive: the
next page asks for rows older than the last row shown (``before``, exclusive) and skips the
``skip`` rows of that same millisecond it already showed (rows are ordered by time, then id).
Every page is one ``search_predictions`` call, the one ``cairn predictions list`` makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cairn.entities import Prediction
from cairn.errors import InvalidParameter
from cairn.registry.arms import ARMS
from cairn.registry.predictions import MAX_RESULTS
from cairn.registry.validation import parse_version
from cairn.tracking.clock import now_ms

if TYPE_CHECKING:
    from cairn.client.client import Client

PAGE_SIZE = 50
MAX_SKIP = MAX_RESULTS - PAGE_SIZE - 1
MAX_FILTER_LENGTH = 1000
_AGE = re.compile(r"^(\d+(?:\.\d+)?)(m|h|d|w)$")
_AGE_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


@dataclass(frozen=True)
class PredictionQuery:
    arm: str = ""
    version: str = ""
    since: str = ""  # as typed: 2024-05-01T14:30 (UTC), epoch ms, or an age (24h)
    until: str = ""
    filter: str = ""
    before: int | None = None  # the cursor
    skip: int = 0

    def params(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes`` applied (for links)."""
        data = {k: v for k, v in vars(replace(self, **changes)).items() if v not in ("", None, 0)}
        return data

    def window(self) -> tuple[int | None, int | None]:
        since, until = parse_moment(self.since, "From"), parse_moment(self.until, "Until")
        if since is not None and until is not None and since >= until:
            raise InvalidParameter("'From' must be earlier than 'Until'.")
        return since, until

    @property
    def is_filtered(self) -> bool:
        return any((self.arm, self.version, self.since, self.until, self.filter))


@dataclass
class PredictionPage:
    rows: list[Prediction] = field(default_factory=list)
    next: dict[str, Any] | None = None  # the query of the next (older) page
    is_first: bool = True


def read_query(params: Any) -> PredictionQuery:
    """The filters and cursor in a request's query string; ``InvalidParameter`` for bad ones."""
    arm = params.get("arm", "").strip()
    if arm and arm not in ARMS:
        raise InvalidParameter(f"Unknown arm {arm!r}; arms are: {', '.join(ARMS)}.")
    version = params.get("version", "").strip()
    if version:
        parse_version(version)
    text = params.get("filter", "").strip()
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidParameter(f"The filter is over {MAX_FILTER_LENGTH} characters.")
    before, skip = _whole(params.get("before"), "before"), _whole(params.get("skip"), "skip") or 0
    if skip > MAX_SKIP:
        raise InvalidParameter(f"skip must be at most {MAX_SKIP}.")
    query = PredictionQuery(arm, version, params.get("since", "").strip(), params.get("until", "").strip(), text,
                            before, skip)
    query.window()  # refuse a bad time now, with its message
    return query


def load_page(client: Client, name: str, query: PredictionQuery) -> PredictionPage:
    since, until = query.window()
    upper = query.before if until is None else until if query.before is None else min(until, query.before)
    found = client.search_predictions(name, since=since, until=upper, version=parse_version(query.version) if query.version else None,
                                      arm=query.arm or None, filter_string=query.filter or None,
                                      max_results=query.skip + PAGE_SIZE + 1)
    shown = found[: query.skip + PAGE_SIZE]
    page = PredictionPage(shown[query.skip:], is_first=query.before is None)
    if len(found) > len(shown) and page.rows:
        last = page.rows[-1].timestamp
        same_moment = sum(1 for p in shown if p.timestamp == last)
        page.next = query.params(before=last + 1, skip=same_moment)
    return page


def parse_moment(text: str, label: str) -> int | None:
    """Epoch ms from epoch ms, an age counted back from now (``30m``, ``24h``, ``7d``) or an ISO
    8601 time (UTC unless it names an offset); None for an empty field."""
    value = text.strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    age = _AGE.match(value.lower())
    if age is not None:
        return now_ms() - int(float(age.group(1)) * _AGE_MS[age.group(2)])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"{label} {value!r} is not a time: use 2024-05-01T14:30 (UTC), epoch milliseconds "
                               "or an age such as 30m, 24h or 7d.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _whole(text: str | None, label: str) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidParameter(f"{label} must be a whole number, got {text!r}.")
    return int(text)
