"""The SDK: ``Client`` (explicit, one method per operation) and the fluent API (``cairn.log_metric``
acts on the active run), over one backend interface.

    client.py, *_methods.py   Client; it only delegates to its backend
    fluent.py                 the active-run functions ``cairn/__init__.py`` re-exports
    backends/                 ``Backend`` (tracking, registry, datasets, deployments, predictions)
                              and its two implementations: ``LocalBackend`` calls the domain
                              packages in-process on an embedded store, ``RestBackend`` speaks
                              HTTP to a Cairn server through httpx (one pooled keep-alive client;
                              HTTP/1.1 is all MLflow's API needs)
    tracking_uri.py           which store a tracking URI names, and its backend
    models.py                 log a model package to a run, load one by URI
    batching.py               the background metric logger
    capture/                  run context: git, packages, system, command line, seeds
"""
