"""Model packages: MLflow's model layout (``MLmodel`` + serialized model + pinned requirements),
signatures inferred from pandas/NumPy and enforced before ``predict``, and loading a package from
a folder. Logging a package to a run and loading one by URI go through a ``Client``, so they are
the SDK's (``cairn.client.models``; ``cairn.log_model``, ``cairn.load_model``).

The layout is MLflow's so that ``mlflow.pyfunc.load_model`` loads what Cairn logs and Cairn
loads what the mlflow client logged. pandas and NumPy are needed for signatures; PyYAML for
``MLmodel``; cloudpickle to package Python objects.
"""

from .enforcement import enforce_schema
from .loading import LoadedModel, load_package
from .package import save_model
from .signature import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature

__all__ = [
    "ColSpec", "LoadedModel", "ModelSignature", "Schema", "TensorSpec", "enforce_schema",
    "infer_signature", "load_package", "save_model",
]
