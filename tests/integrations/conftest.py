"""Integration tests (sweeps, media, system metrics, autolog) use the shared fixtures of
tests/conftest.py: ``store_dir`` runs a test on the embedded store and against `cairn server`."""
