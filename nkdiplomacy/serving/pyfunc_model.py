"""MLflow models-from-code entry point: the pyfunc model is logged as this file, not a pickle."""

import mlflow

from nkdiplomacy.serving.mlflow_model import PyfuncModel

mlflow.models.set_model(PyfuncModel())
