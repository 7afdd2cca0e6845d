"""Both backends implement the whole ``Backend`` interface, so ``Client`` never has to ask which
one it holds: every method, with the interface's parameters in the interface's order."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from cairn.client.backends import Backend, LocalBackend, RestBackend

PARTS = [part for part in Backend.__mro__[1:] if part.__module__ == Backend.__module__]


def declared_methods() -> dict[str, Callable[..., Any]]:
    return {name: value for part in PARTS for name, value in vars(part).items()
            if inspect.isfunction(value) and not name.startswith("_")}


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_interface_covers_tracking_registry_datasets_deployments_evidence_retention_and_imports() -> None:
    assert [part.__name__ for part in PARTS] == [
        "TrackingBackend", "RegistryBackend", "DatasetBackend", "DeploymentBackend", "EvidenceBackend",
        "RetentionBackend", "ImportBackend"]
    assert {"log_batch", "promote", "search_datasets", "lineage", "set_deployment",
            "search_predictions", "set_retention_policy", "collect_garbage"} <= set(declared_methods())


@pytest.mark.parametrize("backend", [LocalBackend, RestBackend], ids=["local", "rest"])
def test_a_backend_implements_every_method_of_the_interface(backend: type) -> None:
    for name, declared in declared_methods().items():
        implementation = getattr(backend, name, None)
        assert implementation is not None, f"{backend.__name__} lacks {name}"
        assert parameters(implementation) == parameters(declared), f"{backend.__name__}.{name}"
