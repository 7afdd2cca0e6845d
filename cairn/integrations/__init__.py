"""Autolog for the frameworks people train with: one call records a framework's training into the
active run (or a run it starts), through the SDK's fluent API.

    import cairn
    cairn.autolog()                 # every framework installed here, patched when it is imported
    cairn.sklearn.autolog()         # or one framework; disable=True puts the originals back

One module per framework (``sklearn``, ``xgboost``, ``lightgbm``, ``lightning``,
``transformers``); ``autolog`` turns them all on. Nothing here imports a framework until
``autolog()`` is called, and then only a framework the program imports itself.
"""
