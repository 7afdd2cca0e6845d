"""A deployment as a serving process runs it: loaded versions per arm, and the routing rule.

Built from a registry ``DeploymentPlan``. The primary answers every request unless a canary
takes its share (chosen per request at random) or an A/B test splits rows by a hash of their key
(so one key always meets the same arm). A shadow gets a copy of every request; its answers are
logged, never returned. A ``Deployment`` is immutable: the follower builds a new one and swaps it
in, so a request in flight finishes on the arms it started with.
"""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.client.models import download_model
from cairn.errors import BadRequest, InvalidParameter
from cairn.models.enforcement import EXTRA_COLUMN_POLICIES, ExtraColumns
from cairn.models.loading import LoadedModel, load_package
from cairn.models.mlmodel import read_mlmodel
from cairn.registry.arms import ARM_A, ARM_B, CANARY, PRIMARY, SHADOW
from cairn.registry.deployments import DeploymentPlan
from cairn.registry.feature_ranges import FeatureRanges, ranges_for_run

from .environments import (
    LOCAL,
    VENV,
    build_model_environment,
    check_env_manager,
    require_requirements_met,
)
from .worker_proxy import WorkerPredictor

if TYPE_CHECKING:
    from cairn.client.client import Client

_log = logging.getLogger("cairn.serving")

PRIMARY_ARM = PRIMARY
KEY_HEADER = "X-Cairn-Request-Key"


@dataclass(frozen=True)
class Arm:
    """One loaded version under an arm name, and the share of requests it answers."""

    name: str
    model: LoadedModel
    version: str
    run_id: str | None
    share: float = 1.0
    ranges: FeatureRanges | None = None  # what the version was trained on; None: not checked

    def describe(self) -> dict[str, Any]:
        described = {"arm": self.name, "version": self.version, "run_id": self.run_id, "share": self.share,
                     "feature_ranges": self.ranges.to_dict() if self.ranges is not None else None}
        if self.name == SHADOW:
            described["mirrored"] = 1.0
        return described


@dataclass(frozen=True)
class Route:
    """Which arm answers which rows of a request (``rows`` None: all of them)."""

    arm: Arm
    rows: list[int] | None = None


@dataclass(frozen=True)
class Deployment:
    """The arms serving ``model_name``; ``extra_columns`` says whether columns the signature
    lacks are refused (``reject``) or dropped (``drop``)."""

    model_name: str
    primary: Arm
    extra_columns: ExtraColumns = "reject"
    ref: str = ""
    canary: Arm | None = None
    challenger: Arm | None = None
    ab_key: str | None = None
    shadow: Arm | None = None
    plan: DeploymentPlan | None = None
    standby: tuple[Arm, ...] = ()  # loaded, answering nothing: a rollback inside a stability window swaps one in
    chance: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    @property
    def arms(self) -> tuple[Arm, ...]:
        return tuple(arm for arm in (self.primary, self.canary, self.challenger, self.shadow) if arm is not None)

    def route(self, data: Any, request_key: str | None = None) -> list[Route]:
        """The arms that answer ``data``: one route, or one per A/B arm with its rows."""
        if self.challenger is not None:
            return self._split(data, request_key)
        if self.canary is not None and self.chance() < self.canary.share:
            return [Route(self.canary)]
        return [Route(self.primary)]

    def prepare(self, arm: Arm, data: Any) -> Any:
        """``data`` as ``arm``'s model takes it: the A/B key column goes unless the signature
        names it."""
        key = self.ab_key
        if key is None or not hasattr(data, "columns") or key not in data.columns:
            return data
        signature = arm.model.signature
        if signature is not None and key in signature.inputs.column_names:
            return data
        return data.drop(columns=[key])

    def describe(self) -> dict[str, Any]:
        signature = self.primary.model.signature
        return {
            "model_name": self.model_name,
            "model_version": self.primary.version,
            "ref": self.ref,
            "revision": self.plan.revision if self.plan is not None else 0,
            "extra_columns": self.extra_columns,
            "ab_key": self.ab_key,
            "arms": [arm.describe() for arm in self.arms],
            "standby": [{"version": arm.version, "run_id": arm.run_id, "loaded": True} for arm in self.standby],
            "signature": signature.to_dict() if signature is not None else None,
        }

    def _split(self, data: Any, request_key: str | None) -> list[Route]:
        assert self.challenger is not None and self.ab_key is not None
        if hasattr(data, "columns") and self.ab_key in data.columns:
            keys = [str(value) for value in data[self.ab_key].tolist()]
        elif request_key is not None:
            keys = [request_key] * row_count(data)
        else:
            raise BadRequest(f"This deployment runs an A/B test split by '{self.ab_key}': send that column in "
                             f"every row, or the request's key in the {KEY_HEADER} header.")
        rows_b = [i for i, key in enumerate(keys) if ab_bucket(self.model_name, key) < self.challenger.share]
        if not rows_b:
            return [Route(self.primary)]
        if len(rows_b) == len(keys):
            return [Route(self.challenger)]
        chosen = set(rows_b)
        return [Route(self.primary, [i for i in range(len(keys)) if i not in chosen]), Route(self.challenger, rows_b)]


def ab_bucket(model_name: str, key: str) -> float:
    """A stable number in [0, 1) for ``key``: the same in every process and every run."""
    digest = hashlib.blake2b(f"{model_name}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def build_deployment(plan: DeploymentPlan, load: Callable[[int], tuple[LoadedModel, str | None]],
                     extra_columns: ExtraColumns = "reject",
                     ranges_of: Callable[[int], FeatureRanges | None] | None = None) -> Deployment:
    """The deployment ``plan`` describes, its versions loaded by ``load(version)`` and their
    expected feature ranges (None: unchecked) from ``ranges_of(version)``."""
    if extra_columns not in EXTRA_COLUMN_POLICIES:
        raise InvalidParameter(f"extra_columns must be 'reject' or 'drop', not {extra_columns!r}.")

    def arm(name: str, version: int, share: float) -> Arm:
        model, run_id = load(version)
        return Arm(name, model, str(version), run_id, share, ranges_of(version) if ranges_of is not None else None)

    arms = {name: arm(name, version, share) for name, (version, share) in plan.arm_shares().items()}
    challenger = arms.get(ARM_B)
    return Deployment(plan.model_name, arms.get(PRIMARY) or arms[ARM_A], extra_columns, plan.primary_ref,
                      arms.get(CANARY), challenger, plan.ab_key if challenger else None, arms.get(SHADOW), plan)


class VersionLoader:
    """Downloads and loads versions of one model, each once per process, into a temp folder.

    ``env_manager`` says where a version runs (``serving.environments``): ``local`` loads it here
    once its requirements are met; ``venv`` starts a worker in an environment built from them.
    """

    def __init__(self, client: Client, name: str, folder: Path | None = None, env_manager: str = LOCAL,
                 progress: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.name = name
        self.folder = folder if folder is not None else Path(tempfile.mkdtemp(prefix="cairn-serve-"))
        self.env_manager = check_env_manager(env_manager)
        self.progress = progress
        self._loaded: dict[int, tuple[LoadedModel, str | None]] = {}
        self._ranges: dict[int, FeatureRanges | None] = {}

    def __call__(self, version: int) -> tuple[LoadedModel, str | None]:
        if version not in self._loaded:
            folder, found = self._download(version)
            assert found is not None
            label = f"{self.name} v{version}"
            if self.env_manager == VENV:
                environment = build_model_environment(folder, progress=self.progress)
                model = LoadedModel(folder, read_mlmodel(folder), WorkerPredictor(environment, folder, label), found)
            else:
                require_requirements_met(folder, label)
                model = load_package(folder, found)
            self._loaded[version] = (model, found.run_id)
        return self._loaded[version]

    def ranges(self, version: int) -> FeatureRanges | None:
        """The feature ranges of ``version``'s training dataset, read once per version (None when
        its source run logged no profiled dataset, or cannot be read)."""
        if version not in self._ranges:
            _, run_id = self(version)
            found: FeatureRanges | None = None
            if run_id:
                try:
                    found = ranges_for_run(self.client.get_run(run_id))
                except Exception as exc:  # a deleted or unreadable run: serve unchecked
                    _log.warning("%s v%s: no feature ranges (%s: %s)", self.name, version, type(exc).__name__, exc)
            self._ranges[version] = found
        return self._ranges[version]

    def check(self, version: int) -> None:
        """Refuse a version this loader could not load here (``local``: unmet requirements), or build
        its environment ahead (``venv``), without loading it."""
        folder, _ = self._download(version)
        if self.env_manager == VENV:
            build_model_environment(folder, progress=self.progress)
        else:
            require_requirements_met(folder, f"{self.name} v{version}")

    def keep_only(self, versions: Sequence[int]) -> None:
        """Forget loaded versions no deployment uses any more (ending their workers)."""
        for version in [v for v in self._loaded if v not in versions]:
            self._ranges.pop(version, None)
            model, _ = self._loaded.pop(version)
            _close(model)

    def close(self) -> None:
        for model, _ in self._loaded.values():
            _close(model)
        self._loaded.clear()

    def _download(self, version: int) -> tuple[Path, Any]:
        target = self.folder / str(version)
        shutil.rmtree(target, ignore_errors=True)
        return download_model(f"models:/{self.name}/{version}", self.client, target)


def _close(model: LoadedModel) -> None:
    if isinstance(model.predictor, WorkerPredictor):
        model.predictor.close()


def model_ref(name: str, alias: str | None = None, version: int | str | None = None,
              stage: str | None = None) -> str | None:
    """The registry reference that pins ``cairn serve``'s primary: one of alias, version or
    stage; None to follow the deployment (its primary alias, else the Production version)."""
    chosen = [given for given in (alias, version, stage) if given is not None]
    if len(chosen) > 1:
        raise InvalidParameter("Give one of --alias, --version or --stage, not several.")
    if alias is not None:
        return f"{name}@{alias}"
    if version is not None:
        return f"{name}/{version}"
    if stage is not None:
        return f"{name}/{stage}"
    return None


def load_deployment(client: Client, name: str, ref: str | None = None, extra_columns: ExtraColumns = "reject",
                    dst_path: Path | None = None, env_manager: str = LOCAL) -> Deployment:
    """Resolve ``name``'s deployment in the registry and load its versions. ``NotFound`` when
    the model, alias, version or stage names nothing."""
    plan = client.resolve_deployment(name, ref)
    loader = VersionLoader(client, name, dst_path, env_manager)
    return build_deployment(plan, loader, extra_columns, loader.ranges)


def row_count(data: Any) -> int:
    """The number of rows in a parsed request (a frame or a list of rows; else one)."""
    return len(data) if isinstance(data, (list, tuple)) or hasattr(data, "columns") else 1
