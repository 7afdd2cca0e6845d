"""``cairn ui``: open the web UI on the embedded store (``./.cairn``) without running a shared server.

It starts the same app as ``cairn server``, bound to 127.0.0.1 only, and prints the URL to open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairn.errors import CairnError

DEFAULT_UI_PORT = 5000


def ui(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = DEFAULT_UI_PORT,
    store: Annotated[Path, typer.Option(
        metavar="DIR", help="The embedded store folder (its cairn.db, and artifacts/ unless "
                            "CAIRN_ARTIFACTS_ROOT names another folder or an s3:// bucket).")] = Path(".cairn"),
) -> None:
    """Browse the runs and models of the embedded store in a web browser.

    \b
    Example:
      cairn ui --port 5050
    """
    try:
        from cairn.server.run import serve
    except ModuleNotFoundError as exc:
        raise CairnError(f"The web UI needs the Python package '{exc.name}'; install it and retry.") from None
    from cairn.client.tracking_uri import artifacts_destination_for

    folder = store.absolute()
    typer.echo(f"Cairn UI for {folder}: http://127.0.0.1:{port}/  (Ctrl-C to stop)")
    # The same artifact store the SDK uses on this folder (CAIRN_ARTIFACTS_ROOT may move it to S3).
    serve(host="127.0.0.1", port=port, backend_store_uri=str(folder),
          artifacts_destination=artifacts_destination_for(folder / "artifacts"), log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``ui`` to the ``cairn`` command."""
    app.command("ui")(ui)
