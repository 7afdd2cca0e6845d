"""Signatures inferred from pandas and NumPy, written to MLmodel in MLflow's format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidParameter
from cairn.models import ColSpec, TensorSpec, infer_signature, save_model
from cairn.models.mlmodel import read_mlmodel

pytestmark = pytest.mark.store_independent(reason="signatures inferred from in-memory data; no store")


def test_infer_signature_records_column_names_and_mlflow_types() -> None:
    frame = pd.DataFrame({"age": [1.5], "visits": np.array([2], dtype="int64"), "plan": ["gold"],
                          "small": np.array([1], dtype="int32"), "active": [True]})
    signature = infer_signature(frame)
    assert signature.inputs.inputs == (
        ColSpec("double", "age"), ColSpec("long", "visits"), ColSpec("string", "plan"),
        ColSpec("integer", "small"), ColSpec("boolean", "active"),
    )


def test_infer_signature_of_an_array_is_a_tensor_with_any_number_of_rows() -> None:
    signature = infer_signature(np.zeros((5, 3), dtype="float32"), np.zeros(5, dtype="int64"))
    assert signature.inputs.inputs == (TensorSpec("float32", (-1, 3)),)
    assert signature.outputs is not None and signature.outputs.inputs == (TensorSpec("int64", (-1,)),)


def test_infer_signature_refuses_a_column_of_mixed_objects_naming_it() -> None:
    with pytest.raises(InvalidParameter, match="'mixed'"):
        infer_signature(pd.DataFrame({"mixed": ["a", 1]}))


def test_signature_round_trips_through_mlmodel(tmp_path: Path, classifier: Any, features: pd.DataFrame) -> None:
    signature = infer_signature(features, classifier.predict(features))
    save_model(classifier, tmp_path / "model", signature=signature)
    assert read_mlmodel(tmp_path / "model").signature == signature


@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")  # mlflow's import
def test_signature_written_by_cairn_is_read_by_mlflow(tmp_path: Path, classifier: Any,
                                                      features: pd.DataFrame) -> None:
    from mlflow.models import Model

    save_model(classifier, tmp_path / "model", signature=infer_signature(features, classifier.predict(features)))
    read = Model.load(str(tmp_path / "model")).signature
    assert read.inputs.input_names() == ["age", "visits"]
    assert [t.name for t in read.inputs.input_types()] == ["double", "long"]


def test_input_example_infers_the_signature_when_none_is_given(tmp_path: Path, classifier: Any,
                                                              features: pd.DataFrame) -> None:
    mlmodel = save_model(classifier, tmp_path / "model", input_example=features.head(2))
    assert mlmodel.signature is not None
    assert mlmodel.signature.inputs.column_names == ["age", "visits"]
    assert mlmodel.fields["saved_input_example_info"]["type"] == "dataframe"
    assert (tmp_path / "model" / "input_example.json").is_file()
