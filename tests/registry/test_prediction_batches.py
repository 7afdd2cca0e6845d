"""A serving process that lost the answer to a prediction batch (the tracking server's worker died
after committing it) sends it again: nothing is stored twice and nothing fails."""

from __future__ import annotations

from cairn.registry import predictions


def _record(prediction_id: str) -> dict[str, object]:
    return {"prediction_id": prediction_id, "request_id": "r1", "row_index": 0, "timestamp": 1_700_000_000_000,
            "model_name": "churn", "version": 1, "arm": "primary", "features": {"age": 30}, "output": 1,
            "latency_ms": 2.5, "error": None}


def test_a_prediction_batch_sent_again_is_stored_once(db):
    batch = [_record(f"p{i}") for i in range(3)]
    assert predictions.log_predictions(db, batch) == 3
    assert predictions.log_predictions(db, [*batch, _record("p3")]) == 4  # the retry, with one new row
    found = predictions.search_predictions(db, "churn", max_results=100)
    assert sorted(p.prediction_id for p in found) == ["p0", "p1", "p2", "p3"]
