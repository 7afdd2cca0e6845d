"""Autolog and callbacks for the libraries people train and tune with: one call records a
framework's training into the active run (or a run it starts), through the SDK's fluent API.

    import cairn
    cairn.autolog()                 # every framework installed here, patched when it is imported
    cairn.sklearn.autolog()         # or one framework; disable=True puts the originals back
    cairn.optuna.callback()         # a study as a parent run, each trial a child run

One module per framework (``sklearn``, ``xgboost``, ``lightgbm``, ``lightning``,
``transformers``, ``optuna``); ``autolog`` turns the autologgers on. Nothing here imports a
framework until it is used, and then only a framework the program imports itself.
"""
