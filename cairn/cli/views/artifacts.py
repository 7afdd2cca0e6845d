"""What ``cairn artifacts list`` prints, as a plain JSON-ready dict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.entities import FileInfo


def artifacts_view(run_id: str, path: str, files: Sequence[FileInfo]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "path": path,
        "files": [{"path": f.path, "is_dir": f.is_dir, "size": f.file_size} for f in files],
    }
