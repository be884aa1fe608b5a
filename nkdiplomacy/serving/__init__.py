"""Serving a saved model: locating and loading it, the Classifier, the MLflow pyfunc, batch scoring, rendering."""
