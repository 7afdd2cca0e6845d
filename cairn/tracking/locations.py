"""Where a run's artifacts live: logical locations inside Cairn's own artifact store.

Every experiment and run location is ``mlflow-artifacts:/<relative path>``: a place in the
artifact store that the embedded client resolves to its local folder and a server proxies. User
supplied locations must be of that form and pass the shared safe-path check, so an experiment can
never point its runs at an arbitrary server path or URL (DESIGN, security rules).
"""

from __future__ import annotations

from cairn.artifacts.paths import clean_relative_path
from cairn.errors import InvalidParameter

SCHEME = "mlflow-artifacts:"


def validate_artifact_location(location: str) -> str:
    if not isinstance(location, str) or not location.startswith(SCHEME):
        raise InvalidParameter(
            "artifact_location must be inside Cairn's artifact store, e.g. 'mlflow-artifacts:/team-a'; "
            "leave it empty for the default."
        )
    relative = clean_relative_path(location[len(SCHEME):].lstrip("/"), allow_empty=False)
    return f"{SCHEME}/{relative}"


def store_path_of(uri: str) -> str:
    """The artifact-store relative path of a location URI ('mlflow-artifacts:/1/abc/artifacts' -> '1/abc/artifacts')."""
    if not uri.startswith(SCHEME):
        raise InvalidParameter(f"'{uri}' is not a Cairn artifact location.")
    return clean_relative_path(uri[len(SCHEME):].lstrip("/"))


def run_artifact_uri(experiment_location: str, run_id: str) -> str:
    return f"{experiment_location.rstrip('/')}/{run_id}/artifacts"
