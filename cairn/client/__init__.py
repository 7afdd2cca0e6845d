"""The SDK: ``Client`` (explicit) and the fluent API (active run), over pluggable backends.

``LocalBackend`` calls the domain in-process on the embedded store; ``RestBackend`` speaks HTTP to
a server through httpx (one pooled keep-alive client; HTTP/1.1 is all MLflow's API needs).
"""
