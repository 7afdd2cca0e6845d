"""`cairn serve` as a real subprocess on a free 127.0.0.1 port, over the embedded store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from cairn.serving.app import VERSION_HEADER

ROWS = [[30.0, 2], [50.0, 8]]


@pytest.fixture(scope="module")
def served(churn_store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `cairn serve` process for the module: starting it costs seconds."""
    yield from serve_launcher(churn_store, "churn", tmp_path_factory.mktemp("serve-log"), "--stage", "Production")


def test_serve_answers_all_four_scoring_formats_with_version_and_prediction_ids(served: str) -> None:
    bodies = [
        {"dataframe_split": {"columns": ["age", "visits"], "data": ROWS}},
        {"dataframe_records": [{"age": a, "visits": v} for a, v in ROWS]},
        {"instances": [{"age": a, "visits": v} for a, v in ROWS]},
        {"instances": ROWS},
        {"inputs": {"age": [a for a, _ in ROWS], "visits": [v for _, v in ROWS]}},
    ]
    answers = []
    for body in bodies:
        response = httpx.post(served + "/invocations", json=body, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers[VERSION_HEADER] == "1"
        document = response.json()
        assert document["model_version"] == "1" and len(document["prediction_ids"]) == 2
        answers.append(document["predictions"])
    assert all(answer == answers[0] for answer in answers)


def test_serve_metadata_and_version_name_the_served_version(served: str) -> None:
    metadata = httpx.get(served + "/metadata", timeout=10).json()
    assert metadata["model_name"] == "churn" and metadata["model_version"] == "1"
    assert metadata["arms"] == [{"arm": "primary", "version": "1", "run_id": metadata["arms"][0]["run_id"],
                                 "share": 1.0, "feature_ranges": None}]
    assert httpx.get(served + "/version", timeout=10).json()["model_version"] == "1"


def test_serve_refuses_a_signature_violation_with_400(served: str) -> None:
    response = httpx.post(served + "/invocations", json={"instances": [{"age": 30.0}]}, timeout=10)
    assert response.status_code == 400 and "missing column 'visits'" in response.json()["message"]


def test_serve_refuses_a_foreign_host_name_and_cross_origin_posts(served: str) -> None:
    body = {"dataframe_split": {"columns": ["age", "visits"], "data": ROWS}}
    rebound = httpx.post(served + "/invocations", json=body, headers={"Host": "attacker.example"}, timeout=10)
    assert rebound.status_code == 403 and "attacker.example" in rebound.json()["message"]
    forged = httpx.post(served + "/invocations", json=body, headers={"Origin": "http://attacker.example"}, timeout=10)
    assert forged.status_code == 403 and "Cross-origin" in forged.json()["message"]
    assert httpx.post(served + "/invocations", json=body, headers={"Host": "localhost"}, timeout=10).status_code == 200
