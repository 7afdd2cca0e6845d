"""Which version `cairn serve` loads: one alias, version or stage, else the Production version."""

from __future__ import annotations

from pathlib import Path

import pytest

import cairn
from cairn.errors import InvalidParameter, NotFound
from cairn.serving.deployment import PRIMARY_ARM, load_deployment, model_ref


def test_model_ref_defaults_to_the_production_version() -> None:
    assert model_ref("churn") is None
    assert model_ref("churn", alias="champion") == "churn@champion"
    assert model_ref("churn", version=3) == "churn/3"
    assert model_ref("churn", stage="Staging") == "churn/Staging"


def test_model_ref_refuses_two_selectors() -> None:
    with pytest.raises(InvalidParameter, match="one of --alias, --version or --stage"):
        model_ref("churn", alias="champion", version=2)


def test_deployment_serves_the_aliased_version_as_its_primary_arm(churn_store: str, tmp_path: Path) -> None:
    client = cairn.Client()
    client.set_registered_model_alias("churn", "champion", 1)
    deployment = load_deployment(client, "churn", "churn@champion", dst_path=tmp_path / "served")
    client.close()
    assert [arm.name for arm in deployment.arms] == [PRIMARY_ARM]
    assert deployment.primary.version == "1" and deployment.describe()["arms"][0]["share"] == 1.0


def test_deployment_of_a_missing_stage_is_not_found(churn_store: str, tmp_path: Path) -> None:
    client = cairn.Client()
    with pytest.raises(NotFound, match="Staging"):
        load_deployment(client, "churn", "churn/Staging", dst_path=tmp_path / "served")
    client.close()
