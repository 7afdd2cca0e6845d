"""Per-resource grants (experiment and registered-model permissions) and the lookups that tie a
request's resource to the key grants are stored under."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from cairn.entities import ResourceGrant

from .schema import experiments, logged_models, predictions, registered_models, resource_permissions, runs, users

Tx = Connection

EXPERIMENT = "experiment"
REGISTERED_MODEL = "registered_model"


def get_permission(conn: Tx, resource_type: str, key: str, user_id: int) -> str | None:
    p = resource_permissions.c
    return conn.execute(
        select(p.permission).where(p.resource_type == resource_type, p.resource_key == key, p.user_id == user_id)
    ).scalar_one_or_none()


def insert_permission(conn: Tx, resource_type: str, key: str, user_id: int, permission: str) -> None:
    conn.execute(insert(resource_permissions).values(
        resource_type=resource_type, resource_key=key, user_id=user_id, permission=permission))


def update_permission(conn: Tx, resource_type: str, key: str, user_id: int, permission: str) -> int:
    p = resource_permissions.c
    return int(conn.execute(
        update(resource_permissions)
        .where(p.resource_type == resource_type, p.resource_key == key, p.user_id == user_id)
        .values(permission=permission)
    ).rowcount)


def delete_permission(conn: Tx, resource_type: str, key: str, user_id: int) -> int:
    p = resource_permissions.c
    return int(conn.execute(
        delete(resource_permissions)
        .where(p.resource_type == resource_type, p.resource_key == key, p.user_id == user_id)
    ).rowcount)


def granted_keys(conn: Tx, user_id: int, resource_type: str, permissions: tuple[str, ...]) -> list[str]:
    """Keys of the resources of one type on which the user holds one of ``permissions``."""
    p = resource_permissions.c
    stmt = select(p.resource_key).where(p.user_id == user_id, p.resource_type == resource_type,
                                        p.permission.in_(permissions))
    return [row[0] for row in conn.execute(stmt)]


def grants_of_user(conn: Tx, user_id: int) -> list[ResourceGrant]:
    """A user's grants; a model grant names the model as it is called now (grants on deleted
    models are left out)."""
    p, u, rm = resource_permissions.c, users.c, registered_models.c
    found = []
    rows = conn.execute(
        select(p.resource_type, p.resource_key, p.permission, u.username)
        .join(users, u.user_id == p.user_id).where(p.user_id == user_id)
        .order_by(p.resource_type, p.resource_key)
    ).all()
    model_keys = [int(r.resource_key) for r in rows if r.resource_type == REGISTERED_MODEL]
    names = dict(conn.execute(select(rm.registered_model_id, rm.name).where(rm.registered_model_id.in_(model_keys)))
                 .tuples().all()) if model_keys else {}
    for row in rows:
        key = row.resource_key
        if row.resource_type == REGISTERED_MODEL:
            name = names.get(int(key))
            if name is None:
                continue
            key = name
        found.append(ResourceGrant(row.resource_type, key, user_id, row.username, row.permission))
    return found


# what a request names, as the key its grants are stored under ------------------------------

def experiment_key(conn: Tx, experiment_id: int) -> str | None:
    e = experiments.c
    found = conn.execute(select(e.experiment_id).where(e.experiment_id == experiment_id)).scalar_one_or_none()
    return str(found) if found is not None else None


def experiment_key_by_name(conn: Tx, name: str) -> str | None:
    e = experiments.c
    found = conn.execute(select(e.experiment_id).where(e.name == name)).scalar_one_or_none()
    return str(found) if found is not None else None


def experiment_key_of_run(conn: Tx, run_id: str) -> str | None:
    r = runs.c
    found = conn.execute(select(r.experiment_id).where(r.run_id == run_id)).scalar_one_or_none()
    return str(found) if found is not None else None


def experiment_key_of_logged_model(conn: Tx, model_id: str) -> str | None:
    m = logged_models.c
    found = conn.execute(select(m.experiment_id).where(m.model_id == model_id)).scalar_one_or_none()
    return str(found) if found is not None else None


def model_key(conn: Tx, name: str) -> str | None:
    rm = registered_models.c
    found = conn.execute(select(rm.registered_model_id).where(rm.name == name)).scalar_one_or_none()
    return str(found) if found is not None else None


def model_name_of_prediction(conn: Tx, prediction_id: str) -> str | None:
    p = predictions.c
    return conn.execute(select(p.model_name).where(p.prediction_id == prediction_id).limit(1)).scalar_one_or_none()


def experiment_keys_of_artifact_path(conn: Tx, path: str, max_depth: int) -> list[str]:
    """The experiments whose artifact location holds ``path`` (an artifact-store relative path):
    those with the longest location that is a prefix of it, usually exactly one."""
    parts = [p for p in path.split("/") if p][:max_depth]
    candidates = ["mlflow-artifacts:/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    if not candidates:
        return []
    e = experiments.c
    found = conn.execute(
        select(e.experiment_id, e.artifact_location).where(e.artifact_location.in_(candidates))
    ).all()
    if not found:
        return []
    longest = max(len(location) for _, location in found)
    return sorted(str(key) for key, location in found if len(location) == longest)
