"""Training: the recipe, cross-validation and the final fit, metrics, MLflow logging."""
