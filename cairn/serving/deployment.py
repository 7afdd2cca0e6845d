"""A deployment: which loaded model versions answer requests for a registered model.

Today a deployment has one arm, ``primary``, serving every request. Arms carry their share of
traffic so that canary, shadow and A/B arms can join without changing the app.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidParameter
from cairn.models.enforcement import EXTRA_COLUMN_POLICIES, ExtraColumns
from cairn.models.loading import LoadedModel, download_model, load_model

if TYPE_CHECKING:
    from cairn.client.client import Client

PRIMARY_ARM = "primary"


@dataclass(frozen=True)
class Arm:
    """One loaded version and the share of requests it answers."""

    name: str
    model: LoadedModel
    version: str
    run_id: str | None
    share: float = 1.0

    def describe(self) -> dict[str, Any]:
        return {"arm": self.name, "version": self.version, "run_id": self.run_id, "share": self.share}


@dataclass(frozen=True)
class Deployment:
    """The arms serving ``model_name``; ``extra_columns`` says whether columns the signature
    lacks are refused (``reject``) or dropped (``drop``)."""

    model_name: str
    arms: tuple[Arm, ...]
    extra_columns: ExtraColumns = "reject"
    ref: str = field(default="")

    @property
    def primary(self) -> Arm:
        return next(arm for arm in self.arms if arm.name == PRIMARY_ARM)

    def choose_arm(self) -> Arm:
        """The arm that answers the next request."""
        return self.primary

    def describe(self) -> dict[str, Any]:
        signature = self.primary.model.signature
        return {
            "model_name": self.model_name,
            "model_version": self.primary.version,
            "ref": self.ref,
            "extra_columns": self.extra_columns,
            "arms": [arm.describe() for arm in self.arms],
            "signature": signature.to_dict() if signature is not None else None,
        }


def model_ref(name: str, alias: str | None = None, version: int | str | None = None,
              stage: str | None = None) -> str:
    """The registry reference ``cairn serve`` resolves: one of alias, version or stage, else the
    Production version."""
    chosen = [given for given in (alias, version, stage) if given is not None]
    if len(chosen) > 1:
        raise InvalidParameter("Give one of --alias, --version or --stage, not several.")
    if alias is not None:
        return f"{name}@{alias}"
    if version is not None:
        return f"{name}/{version}"
    return f"{name}/{stage or 'Production'}"


def load_deployment(client: Client, name: str, ref: str, extra_columns: ExtraColumns = "reject",
                    dst_path: Path | None = None) -> Deployment:
    """Resolve ``ref`` in the registry, download that version's package and load it as the
    primary arm. ``NotFound`` when the model, alias, version or stage names nothing."""
    if extra_columns not in EXTRA_COLUMN_POLICIES:
        raise InvalidParameter(f"extra_columns must be 'reject' or 'drop', not {extra_columns!r}.")
    dest = dst_path if dst_path is not None else Path(tempfile.mkdtemp(prefix="cairn-serve-"))
    folder, version = download_model(f"models:/{ref}", client, dest)
    assert version is not None
    if version.name != name:
        raise InvalidParameter(f"'{ref}' names a version of '{version.name}', not of '{name}'.")
    model = load_model(folder)
    model.model_version = version
    arm = Arm(PRIMARY_ARM, model, str(version.version), version.run_id)
    return Deployment(name, (arm,), extra_columns, ref)
