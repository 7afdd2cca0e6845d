"""Moving another tracker's history into Cairn: ``cairn import mlflow``.

A *source* reads what an MLflow store holds, either its database directly (``mlflow_db``:
SQLAlchemy Core over MLflow's own tables, reflected so that older and newer schemas both read)
or a running MLflow server (``mlflow_rest``: its REST API through httpx), and hands out the
records of ``tracking.imports``, ``tracking.logged_model_imports`` and ``registry.imports``.
``copying`` moves them into any Cairn ``Backend``, the embedded store or a server, and
``summary`` counts what was copied, already there, or failed.

This layer sits just below ``cli/``: it drives a whole backend (client/) the way a command does,
but holds no command-line concerns, so the CLI only parses, draws progress and renders the
summary. It is the one place outside ``store/`` that runs SQL, because the database it reads is
MLflow's, not Cairn's: ``store/`` knows Cairn's schema only.
"""
