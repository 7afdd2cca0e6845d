"""Experiments: create, find, rename, delete/restore, tag, search."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from cairn.entities import Experiment, PagedList, ViewType
from cairn.errors import AlreadyExists, InvalidParameter, NotFound
from cairn.store import experiment_activity as activity
from cairn.store import experiments as rows
from cairn.store.database import Database
from cairn.store.entity_filters import parse_filter, parse_order_by
from cairn.store.page_tokens import decode_token, encode_token

from . import clock
from .locations import validate_artifact_location
from .validation import (
    parse_experiment_id,
    validate_experiment_name,
    validate_experiment_tag,
    validate_max_results,
)

DEFAULT_EXPERIMENT_ID = "0"
MAX_EXPERIMENTS_PER_PAGE = 50_000


def create_experiment(
    db: Database, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
) -> str:
    """Create an experiment and return its id. AlreadyExists if the name is taken (even by a
    deleted experiment, as in MLflow: restore or rename that one)."""
    validate_experiment_name(name)
    location = validate_artifact_location(artifact_location) if artifact_location else None
    for key, value in (tags or {}).items():
        validate_experiment_tag(key, value)
    with db.write() as tx:
        experiment_id = None if rows.name_exists(tx, name) else rows.insert_experiment(tx, name, location,
                                                                                          clock.now_ms())
        if experiment_id is None:  # stored already, or by a concurrent create a moment ago
            raise AlreadyExists(
                f"Experiment(name={name}) already exists. Use it (get_experiment_by_name) or pick another name; "
                "a deleted experiment keeps its name until it is purged."
            )
        rows.set_experiment_tags(tx, int(experiment_id), tags or {})
    return experiment_id


def get_experiment(db: Database, experiment_id: str | int) -> Experiment:
    key = parse_experiment_id(experiment_id)
    with db.read() as tx:
        found = rows.get_experiment(tx, key)
    if found is None:
        raise NotFound(
            f"No Experiment with id={experiment_id} exists. List experiments with `cairn experiments list`."
        )
    return found


def get_experiments(db: Database, experiment_ids: Sequence[str]) -> dict[str, Experiment]:
    """The experiments with these ids by id, in one read; unknown ids are left out."""
    keys = {parse_experiment_id(e) for e in experiment_ids}
    with db.read() as tx:
        return {e.experiment_id: e for e in rows.get_experiments(tx, sorted(keys))}


def get_experiment_by_name(db: Database, name: str) -> Experiment | None:
    """The experiment with this name, or None (MLflow's client expects None, not an error)."""
    validate_experiment_name(name)
    with db.read() as tx:
        return rows.get_experiment_by_name(tx, name)


def rename_experiment(db: Database, experiment_id: str, new_name: str) -> None:
    validate_experiment_name(new_name)
    key = parse_experiment_id(experiment_id)
    with db.write() as tx:
        current = _require(tx, key)
        if current.lifecycle_stage != "active":
            raise InvalidParameter(f"Cannot rename a non-active experiment: experiment {experiment_id} is deleted; "
                                   "restore it before renaming.")
        taken = current.name != new_name and rows.name_exists(tx, new_name)
        if taken or not rows.rename_experiment(tx, key, new_name, clock.now_ms()):
            raise AlreadyExists(f"Experiment(name={new_name}) already exists; pick another name.")


def delete_experiment(db: Database, experiment_id: str) -> None:
    """Soft-delete: the experiment and its runs stay in the store, marked deleted, until restored."""
    key = parse_experiment_id(experiment_id)
    if str(key) == DEFAULT_EXPERIMENT_ID:
        raise InvalidParameter("The Default experiment (id 0) cannot be deleted.")
    with db.write() as tx:
        current = _require(tx, key)
        if current.lifecycle_stage == "deleted":
            raise InvalidParameter(f"Experiment {experiment_id} is already deleted.")
        rows.update_experiment(tx, key, clock.now_ms(), lifecycle_stage="deleted")


def restore_experiment(db: Database, experiment_id: str) -> None:
    key = parse_experiment_id(experiment_id)
    with db.write() as tx:
        current = _require(tx, key)
        if current.lifecycle_stage != "deleted":
            raise InvalidParameter(f"Experiment {experiment_id} is not deleted; nothing to restore.")
        rows.update_experiment(tx, key, clock.now_ms(), lifecycle_stage="active")


def set_experiment_tag(db: Database, experiment_id: str, key: str, value: str) -> None:
    validate_experiment_tag(key, value)
    exp_key = parse_experiment_id(experiment_id)
    with db.write() as tx:
        current = _require(tx, exp_key)
        if current.lifecycle_stage != "active":
            raise InvalidParameter(
                f"The experiment {experiment_id} must be in the 'active' state. Current state is "
                f"{current.lifecycle_stage}: restore it before tagging."
            )
        rows.set_experiment_tags(tx, exp_key, {key: value})


def delete_experiment_tag(db: Database, experiment_id: str, key: str) -> None:
    exp_key = parse_experiment_id(experiment_id)
    with db.write() as tx:
        _require(tx, exp_key)
        if rows.delete_experiment_tag(tx, exp_key, key) == 0:
            raise NotFound(f"No tag with name: {key} in experiment with id {experiment_id}; there is nothing to delete.")


def search_experiments(
    db: Database,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    name_like: str | None = None,
    max_results: int = 1000,
    page_token: str | None = None,
    order_by_name: bool = False,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    visible: Collection[str] | None = None,
) -> PagedList:
    """A page of experiments; ``filter_string`` and ``order_by`` use MLflow's experiment-search
    grammar (``name LIKE 'a%' AND tags.team = 'x'``; order by name, experiment_id, creation_time
    or last_update_time). ``visible`` (experiment ids; None: all) is what the caller may read:
    filtered in the query, so pages and page tokens only ever cover those."""
    limit = validate_max_results(max_results, MAX_EXPERIMENTS_PER_PAGE)
    conditions = parse_filter(filter_string, rows.EXPERIMENT_SEARCH)
    order = parse_order_by(order_by, rows.EXPERIMENT_SEARCH)
    offset = decode_token("experiments", page_token)
    with db.read() as tx:
        found = rows.list_experiments(
            tx, view_type, name_like, limit + 1, offset, order_by_name, conditions, order, visible
        )
    token = encode_token("experiments", offset + limit) if len(found) > limit else None
    return PagedList(found[:limit], token)


def experiment_activity(db: Database, experiment_ids: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """experiment id -> (active runs, time in ms of the latest run start or end); an experiment with
    no active run maps to (0, None)."""
    keys = [parse_experiment_id(e) for e in experiment_ids]
    with db.read() as tx:
        found = activity.run_activity(tx, keys)
    return {str(k): found.get(str(k), (0, None)) for k in keys}


def _require(tx, experiment_id: int) -> Experiment:  # type: ignore[no-untyped-def]
    found = rows.get_experiment(tx, experiment_id)
    if found is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists.")
    return found
