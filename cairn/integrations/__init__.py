"""Callbacks and autologging for the libraries people train and tune with. Each module imports
its library only when used; nothing here imports ``cairn.client`` (the layer above): a callback
is handed the ``Client`` it writes through."""
