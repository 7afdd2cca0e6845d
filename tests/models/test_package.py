"""Model packages: what Cairn logs loads in mlflow, what mlflow writes loads in Cairn, by any URI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.errors import InvalidParameter, NotFound
from tests.mlflow_models import SKLEARN_REQUIREMENTS

# Importing mlflow.pyfunc warns about its own type hints; nothing Cairn does.
pytestmark = pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")


def test_model_logged_by_cairn_loads_with_mlflow_pyfunc_and_predicts_the_same(
        store: Path, tmp_path: Path, classifier: Any, features: pd.DataFrame) -> None:
    import mlflow.pyfunc

    with cairn.start_run() as run:
        info = cairn.log_model(classifier, "model", input_example=features.head(2))
    folder = cairn.Client().download_artifacts(run.run_id, "model", tmp_path / "download")
    loaded = mlflow.pyfunc.load_model(str(folder))
    assert loaded.predict(features).tolist() == classifier.predict(features).tolist()
    assert cairn.load_model(info.model_uri).predict(features).tolist() == classifier.predict(features).tolist()


def test_model_saved_by_mlflow_client_loads_with_cairn(store: Path, tmp_path: Path, classifier: Any,
                                                       features: pd.DataFrame) -> None:
    import mlflow.sklearn
    from mlflow.models import ModelSignature

    signature = ModelSignature.from_dict(cairn.infer_signature(features).to_dict())
    mlflow.sklearn.save_model(classifier, str(tmp_path / "saved"), signature=signature,
                              pip_requirements=SKLEARN_REQUIREMENTS)
    with cairn.start_run() as run:
        cairn.log_artifacts(tmp_path / "saved", "model")
    loaded = cairn.load_model(f"runs:/{run.run_id}/model")
    assert loaded.predict(features).tolist() == classifier.predict(features).tolist()
    with pytest.raises(InvalidParameter, match="missing column 'visits'"):
        loaded.predict(features[["age"]])


def test_python_function_logged_by_cairn_loads_with_mlflow_pyfunc(store: Path, tmp_path: Path) -> None:
    import mlflow.pyfunc

    def double(frame: pd.DataFrame) -> Any:
        return frame["x"] * 2

    with cairn.start_run() as run:
        cairn.log_model(double, "doubler", input_example=pd.DataFrame({"x": [1.0, 2.0]}))
    folder = cairn.Client().download_artifacts(run.run_id, "doubler", tmp_path / "download")
    assert mlflow.pyfunc.load_model(str(folder)).predict(pd.DataFrame({"x": [3.0]})).tolist() == [6.0]


def test_registered_model_loads_by_version_alias_and_stage(store: Path, classifier: Any,
                                                           features: pd.DataFrame) -> None:
    with cairn.start_run():
        info = cairn.log_model(classifier, "model", input_example=features, registered_model_name="churn")
    assert info.registered_model_version is not None and info.registered_model_version.version == 1
    client = cairn.Client()
    client.set_registered_model_alias("churn", "champion", 1)
    client.promote("churn", 1, "Production", reason="test")
    expected = classifier.predict(features).tolist()
    for uri in ("models:/churn/1", "models:/churn@champion", "models:/churn/Production"):
        loaded = cairn.load_model(uri)
        assert loaded.model_version is not None and loaded.model_version.version == 1
        assert loaded.predict(features).tolist() == expected


def test_requirements_are_pinned_from_the_runs_captured_environment(store: Path, tmp_path: Path,
                                                                    classifier: Any) -> None:
    with cairn.start_run() as run:
        cairn.log_text("numpy==1.99.0\nscikit-learn==1.0.7\n", "environment/requirements.txt")
        cairn.log_model(classifier, "model")
    folder = cairn.Client().download_artifacts(run.run_id, "model", tmp_path / "download")
    pins = (folder / "requirements.txt").read_text().splitlines()
    assert "scikit-learn==1.0.7" in pins and "numpy==1.99.0" in pins
    assert any(line.startswith("cloudpickle==") for line in pins)
    assert {p.name for p in folder.iterdir()} >= {"MLmodel", "model.pkl", "conda.yaml", "python_env.yaml"}


def test_loading_a_model_of_an_unknown_flavor_without_pyfunc_names_the_flavor(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors:\n  h2o:\n    data: model.h2o\n")
    with pytest.raises(InvalidParameter, match="h2o"):
        cairn.load_model(folder)


def test_loading_a_missing_run_path_is_not_found(store: Path) -> None:
    with cairn.start_run() as run:
        pass
    with pytest.raises(NotFound):
        cairn.load_model(f"runs:/{run.run_id}/nothing")


def test_object_with_predict_and_numpy_signature_is_enforced(store: Path) -> None:
    class Summer:
        def predict(self, data: Any) -> Any:
            return np.asarray(data).sum(axis=1)

    with cairn.start_run():
        info = cairn.log_model(Summer(), "summer", input_example=np.ones((2, 3)))
    loaded = cairn.load_model(info.model_uri)
    assert loaded.predict([[1, 2, 3]]).tolist() == [6.0]
    with pytest.raises(InvalidParameter, match="shape"):
        loaded.predict([[1, 2]])


def test_model_file_outside_the_package_is_refused_before_unpickling(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "evil.pkl").write_bytes(b"not a pickle")
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: ../evil.pkl\n"
        "  sklearn:\n    pickled_model: ../evil.pkl\n    serialization_format: pickle\n"
    )
    with pytest.raises(InvalidParameter, match="not a plain file name"):
        cairn.load_model(folder)


def test_log_model_and_load_by_registry_uri_work_embedded_and_against_a_server(
        store_dir: Path, classifier: Any, features: pd.DataFrame) -> None:
    with cairn.start_run():
        cairn.log_model(classifier, "model", input_example=features, registered_model_name="churn")
    loaded = cairn.load_model("models:/churn/1")
    assert loaded.predict(features).tolist() == classifier.predict(features).tolist()


def test_another_mlflow_flavor_is_loaded_through_mlflow_pyfunc(tmp_path: Path) -> None:
    import mlflow.pyfunc

    class Triple(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            return model_input["x"] * 3

    mlflow.pyfunc.save_model(str(tmp_path / "triple"), python_model=Triple(), pip_requirements=["pandas"])
    assert cairn.load_model(tmp_path / "triple").predict(pd.DataFrame({"x": [1, 2]})).tolist() == [3, 6]
