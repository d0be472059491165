"""Training and measuring the models: the labelled corpus (``corpus/``), training, evaluation and
cross-validation. Nothing at run time imports this package."""
