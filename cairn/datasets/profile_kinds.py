"""The kinds of column a dataset profile describes, apart from the NumPy code that computes the
profile (``profile``), so that showing a stored profile does not load NumPy."""

NUMERIC, CATEGORICAL, DATETIME = "numeric", "categorical", "datetime"
