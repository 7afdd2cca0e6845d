"""Media on the active run: ``cairn.log_image`` and ``cairn.log_table`` (``log_figure`` and
``log_text`` live in ``fluent`` with the other artifact functions); see ``media.MediaMethods``."""

from __future__ import annotations

from typing import Any

from . import fluent
from .media_index import MediaItem


def log_image(image: Any, key: str | None = None, step: int | None = None, timestamp: int | None = None, *,
              artifact_file: str | None = None) -> str:
    """Log an image (NumPy array, PIL image or matplotlib figure) under ``key`` at ``step`` on the
    active run, in MLflow's ``images/`` layout; returns its artifact path.

    >>> cairn.log_image(batch[0], "val_samples", step=epoch)
    """
    return fluent._get_client().log_image(fluent._run_id(), image, key, step, timestamp,
                                          artifact_file=artifact_file)


def log_table(data: Any, key: str) -> str:
    """Log a DataFrame or dict of columns as a table (``tables/<key>.json``, or ``key`` itself if it
    ends in ``.json``), MLflow's ``log_table`` layout; rows append. Returns its artifact path."""
    return fluent._get_client().log_table(fluent._run_id(), data, key)


def list_media(run_id: str | None = None, key: str | None = None) -> list[MediaItem]:
    """The media of a run (the active one by default), per key and step."""
    return fluent._get_client().list_media(run_id or fluent._run_id(), key)
