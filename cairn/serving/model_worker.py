"""A model version's worker: ``python -m cairn.serving.model_worker FOLDER``, run by
``cairn serve --env-manager venv`` inside the version's own environment.

It loads the package's flavor once, then answers one JSON line per request on stdin with one JSON
line on stdout (its stderr is the server's). The protocol, each message one line:

    worker -> {"ready": true}                           or {"ready": false, "error": "..."}
    server -> {"frame": {"columns": [...], "data": [[...]], "dtypes": {"col": "int64"}}}
              {"array": [...], "dtype": "float64"}      or {"rows": [...]}
    worker -> {"ok": true, "rows": [...]}               or {"ok": false, "error": "ValueError: ..."}

The signature is enforced by the server before a request is sent (the same code as in process);
the worker only predicts. Values travel as JSON, never as pickles: the two sides may run
different pandas and NumPy releases.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


def decode_input(message: dict[str, Any]) -> Any:
    """The model input a request message carries."""
    import numpy as np

    if "frame" in message:
        import pandas as pd

        frame_doc = message["frame"]
        frame = pd.DataFrame(frame_doc["data"], columns=frame_doc["columns"])
        for column, dtype in frame_doc.get("dtypes", {}).items():
            try:
                frame[column] = pd.to_datetime(frame[column]) if dtype.startswith("datetime64") \
                    else frame[column].astype(dtype)
            except (TypeError, ValueError):
                pass  # a dtype this pandas does not know: keep what JSON gave
        return frame
    if "array" in message:
        return np.asarray(message["array"], dtype=message.get("dtype") or None)
    return message["rows"]


def encode_input(data: Any) -> dict[str, Any]:
    """The request message for ``data`` (a DataFrame, an array or a list of rows)."""
    if hasattr(data, "columns") and hasattr(data, "to_json"):
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso", date_unit="ns"))
        return {"frame": {"columns": split["columns"], "data": split["data"],
                          "dtypes": {str(c): str(t) for c, t in data.dtypes.items()}}}
    if hasattr(data, "tolist") and hasattr(data, "dtype"):
        return {"array": data.tolist(), "dtype": str(data.dtype)}
    return {"rows": data}


def serve_requests(folder: Path, stdin: TextIO, stdout: TextIO) -> None:
    from cairn.models.flavors import load_flavor
    from cairn.models.mlmodel import read_mlmodel
    from cairn.serving.scoring import prediction_rows

    try:
        predictor = load_flavor(read_mlmodel(folder), folder)
    except Exception as exc:  # noqa: BLE001 - reported to the server, which refuses the version
        _send(stdout, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    _send(stdout, {"ready": True})
    for line in stdin:
        try:
            rows = prediction_rows(predictor.predict(decode_input(json.loads(line))))
            reply: dict[str, Any] = {"ok": True, "rows": rows}
        except Exception as exc:  # noqa: BLE001 - the model's complaint goes back to the caller
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        _send(stdout, reply)


def _send(stdout: TextIO, message: dict[str, Any]) -> None:
    stdout.write(json.dumps(message, allow_nan=True, default=str) + "\n")
    stdout.flush()


def main() -> None:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m cairn.serving.model_worker MODEL_FOLDER\n")
        raise SystemExit(2)
    # The protocol owns stdout; anything the model prints goes to stderr instead.
    protocol, sys.stdout = sys.stdout, sys.stderr
    serve_requests(Path(sys.argv[1]), sys.stdin, protocol)


if __name__ == "__main__":
    main()
