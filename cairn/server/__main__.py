"""``python -m cairn.server``: the same as ``python -m cairn.server.run``."""

from cairn.server.run import main

if __name__ == "__main__":
    main()
