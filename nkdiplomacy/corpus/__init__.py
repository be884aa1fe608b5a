"""The annotated corpus: loading and validating annotation files, grouped cross-validation folds."""
