"""Model packages: MLflow's model layout (``MLmodel`` + serialized model + pinned requirements),
signatures inferred from pandas/NumPy and enforced before ``predict``, and loading by URI.

The layout is MLflow's so that ``mlflow.pyfunc.load_model`` loads what Cairn logs and Cairn
loads what the mlflow client logged. pandas and NumPy are needed for signatures; PyYAML for
``MLmodel``; cloudpickle to package Python objects.
"""

from .enforcement import enforce_schema
from .loading import LoadedModel, load_model
from .log_model import ModelInfo, log_model
from .package import save_model
from .signature import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature

__all__ = [
    "ColSpec", "LoadedModel", "ModelInfo", "ModelSignature", "Schema", "TensorSpec", "enforce_schema",
    "infer_signature", "load_model", "log_model", "save_model",
]
