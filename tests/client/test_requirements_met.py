"""Whether the running interpreter meets a model's or a run's requirement lines."""

from __future__ import annotations

from cairn.client.environments import parse_requirement_lines, unmet_requirements


def unmet_of(text: str, installed: dict[str, str]) -> list[str]:
    return [u.describe() for u in unmet_requirements(parse_requirement_lines(text), installed)]


def test_a_pin_without_a_local_label_is_met_by_a_local_build_of_that_version() -> None:
    # PEP 440: the local label (+cpu) of an installed version is ignored for a pin that has none.
    assert unmet_of("torch==2.13.0\n", {"torch": "2.13.0+cpu"}) == []
    assert unmet_of("torch==2.13.0+cpu\n", {"torch": "2.13.0+cpu"}) == []


def test_other_versions_local_labels_and_missing_packages_are_unmet() -> None:
    assert unmet_of("torch==2.13.0+cu121\n", {"torch": "2.13.0+cpu"}) == ["torch==2.13.0+cu121 (installed: 2.13.0+cpu)"]
    assert unmet_of("torch==2.13.1\n", {"torch": "2.13.0+cpu"}) == ["torch==2.13.1 (installed: 2.13.0+cpu)"]
    assert unmet_of("scikit_learn==1.9.1\nnumpy\n", {}) == ["scikit_learn==1.9.1 (missing)", "numpy (missing)"]
    assert unmet_of("Scikit-Learn==1.9.1\n", {"scikit-learn": "1.9.1"}) == []
