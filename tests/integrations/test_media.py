"""Images, figures, tables and texts on a run: logged by Cairn or by the mlflow client, listed
per key and step by Cairn, downloadable, and readable by the other client."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

import cairn
from cairn.client import fluent, tracking_uri
from cairn.errors import InvalidParameter


def gradient(step: int) -> np.ndarray:
    image = np.zeros((24, 40, 3), dtype=np.uint8)
    image[:, :, 0] = np.arange(40, dtype=np.uint8) * 6
    image[:, :, 1] = (step * 25) % 256
    return image


def load_image_file(path: str | Path) -> Image.Image:
    with Image.open(io.BytesIO(Path(path).read_bytes())) as image:
        image.load()
        return image


def load_image(client: cairn.Client, run_id: str, path: str) -> Image.Image:
    return load_image_file(client.download_artifacts(run_id, path))


def test_an_image_logged_by_cairn_is_listed_and_downloadable(store_dir: Path) -> None:
    with cairn.start_run() as run:
        for step in range(3):
            cairn.log_image(gradient(step), "samples", step=step)
        cairn.log_image(Image.new("L", (600, 300), color=128), "gray")
        figure = Figure()
        figure.subplots().plot([0, 1, 4])
        cairn.log_image(figure, "curve", step=5)
    client = cairn.Client()
    samples = client.list_media(run.run_id, key="samples")
    assert [(m.kind, m.key, m.step) for m in samples] == [("image", "samples", s) for s in range(3)]
    for step, item in enumerate(samples):
        assert item.path.startswith(f"images/samples+step+{step}+timestamp+") and item.path.endswith(".png")
        got = np.asarray(load_image(client, run.run_id, item.path))
        assert np.array_equal(got, gradient(step))  # PNG: the very pixels
        preview = load_image(client, run.run_id, item.preview)
        assert preview.format == "WEBP" and preview.size == (256, 154)
    everything = client.list_media(run.run_id)
    assert [(m.key, m.step) for m in everything] == [("curve", 5), ("gray", 0), ("samples", 0), ("samples", 1),
                                                     ("samples", 2)]
    gray = load_image(client, run.run_id, everything[1].path)
    assert gray.size == (600, 300) and load_image(client, run.run_id, everything[1].preview).size == (256, 128)
    assert client.get_run(run.run_id).data.tags["mlflow.loggedImages"] == "True"


def test_figures_tables_and_texts_are_listed_by_key(store_dir: Path) -> None:
    figure = Figure()
    figure.subplots().bar(["a", "b"], [1, 2])
    with cairn.start_run() as run:
        cairn.log_figure(figure, "plots/bars.png")
        cairn.log_text("# Notes\nlr was too high", "notes.md")
        cairn.log_image(gradient(1), artifact_file="samples/first.jpg")
        cairn.log_table(pd.DataFrame({"id": [1, 2], "label": ["cat", "dog"], "p": [0.9, 0.4]}), "predictions")
        cairn.log_table({"id": [3], "label": ["eel"], "p": [0.5]}, "predictions")  # appends
        cairn.log_table({"slice": "all", "acc": 0.8}, "eval/summary.json")  # one row of scalars
    client = cairn.Client()
    listed = {(m.kind, m.key, m.path) for m in client.list_media(run.run_id)}
    assert listed == {("figure", "plots/bars.png", "plots/bars.png"), ("text", "notes.md", "notes.md"),
                      ("image", "samples/first.jpg", "samples/first.jpg"),
                      ("table", "predictions", "tables/predictions.json"),
                      ("table", "eval/summary.json", "eval/summary.json")}
    assert client.load_table(run.run_id, "predictions") == {
        "columns": ["id", "label", "p"], "data": [[1, "cat", 0.9], [2, "dog", 0.4], [3, "eel", 0.5]]}
    assert client.load_table(run.run_id, "eval/summary.json") == {"columns": ["slice", "acc"], "data": [["all", 0.8]]}
    assert client.download_artifacts(run.run_id, "plots/bars.png").read_bytes().startswith(b"\x89PNG")
    logged = json.loads(client.get_run(run.run_id).data.tags["mlflow.loggedArtifacts"])
    assert logged == [{"path": "tables/predictions.json", "type": "table"},
                      {"path": "eval/summary.json", "type": "table"}]


def test_bad_media_is_refused_with_a_clear_error(store_dir: Path) -> None:
    with cairn.start_run():
        with pytest.raises(InvalidParameter, match="Invalid image key"):
            cairn.log_image(gradient(0), "val*samples")
        with pytest.raises(InvalidParameter, match="shape"):
            cairn.log_image(np.zeros((4, 4, 2)), "k")
        with pytest.raises(InvalidParameter, match=r"0\.\.1"):
            cairn.log_image(np.full((4, 4), 2.5), "k")
        with pytest.raises(InvalidParameter, match="Cannot tell an image format"):
            cairn.log_image(gradient(0), artifact_file="plots/sample.raw")
        with pytest.raises(InvalidParameter, match="exactly one of key"):
            cairn.log_image(gradient(0), "k", artifact_file="a.png")
        with pytest.raises(InvalidParameter, match="NumPy array, a PIL image"):
            cairn.log_image("not an image", "k")
        with pytest.raises(InvalidParameter, match="differ in length"):
            cairn.log_table({"a": [1, 2], "b": [1]}, "t")
        with pytest.raises(InvalidParameter, match="contains"):
            cairn.log_table({"a": [1]}, "x:y")
        assert cairn.list_media() == []


def test_cairn_runs_media_lists_per_key_and_step(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cairn import cli

    with cairn.start_run() as run:
        for step in (0, 10):
            cairn.log_image(gradient(step), "val/samples", step=step)
        cairn.log_text("hello", "readme.txt")
    uri = cairn.get_tracking_uri()
    assert cli.main(["--tracking-uri", uri, "runs", "media", run.run_id, "--key", "val/samples", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["keys"] == [{"key": "val/samples", "count": 2}]
    assert all(m["path"].startswith("images/val~samples+step+") for m in doc["media"])
    assert [(m["kind"], m["step"]) for m in doc["media"]] == [("image", 0), ("image", 10)]
    assert cli.main(["--tracking-uri", uri, "runs", "media", run.run_id]) == 0
    text = capsys.readouterr().out
    assert "val/samples" in text and "readme.txt" in text and "3 media under 2 key(s)" in text


# The mlflow client against a real `cairn server` ---------------------------------------------
@pytest.fixture(scope="module")
def media_server(server_factory: Callable[..., Any]) -> Any:
    return server_factory()


@pytest.fixture
def server_uri(media_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import mlflow

    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    server = media_server
    fluent.set_tracking_uri(server.url)
    mlflow.set_tracking_uri(server.url)
    try:
        yield server.url
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)
        while fluent.active_run() is not None:
            fluent.end_run()
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()


def test_media_logged_by_the_mlflow_client_is_listed_by_cairn(server_uri: str) -> None:
    import mlflow

    mlflow.set_experiment(f"mlflow-media-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        for step in (1, 2):
            mlflow.log_image(gradient(step), key="epoch/samples", step=step)
        mlflow.log_table({"q": ["a", "b"], "score": [0.1, 0.2]}, artifact_file="qa.json")
    client = cairn.Client()
    media = client.list_media(run.info.run_id)
    images = [m for m in media if m.kind == "image"]
    assert [(m.key, m.step) for m in images] == [("epoch/samples", 1), ("epoch/samples", 2)]
    assert all(m.preview and m.preview.endswith("+compressed.webp") for m in images)
    got = np.asarray(load_image(client, run.info.run_id, images[1].path))
    assert np.array_equal(got, gradient(2))
    assert [(m.kind, m.path) for m in media if m.kind == "table"] == [("table", "qa.json")]
    assert client.load_table(run.info.run_id, "qa.json") == {"columns": ["q", "score"], "data": [["a", 0.1], ["b", 0.2]]}


def test_media_logged_by_cairn_is_read_by_the_mlflow_client(server_uri: str) -> None:
    import mlflow

    experiment = cairn.set_experiment(f"cairn-media-{uuid.uuid4().hex[:8]}")
    with cairn.start_run() as run:
        cairn.log_image(gradient(3), "samples", step=3)
        cairn.log_table(pd.DataFrame({"id": [1, 2], "label": ["x", "y"]}), "preds.json")
    client = mlflow.MlflowClient(server_uri)
    table = client.load_table(experiment.experiment_id, "preds.json", run_ids=[run.run_id])
    assert table.to_dict("list") == {"id": [1, 2], "label": ["x", "y"]}
    files = [f.path for f in client.list_artifacts(run.run_id, "images")]
    assert len(files) == 2 and any(f.endswith("+compressed.webp") for f in files)
    png = next(f for f in files if f.endswith(".png"))
    local = mlflow.artifacts.download_artifacts(run_id=run.run_id, artifact_path=png)
    assert np.array_equal(np.asarray(load_image_file(local)), gradient(3))


def test_images_in_the_older_mlflow_naming_are_listed(store_dir: Path, tmp_path: Path) -> None:
    """MLflow clients before 3.x's '+' names wrote '%' between the parts: those runs list too."""
    stem = "old_key%step%4%timestamp%1700000000000%g1234567-89ab"
    for name in (f"{stem}.png", f"{stem}%compressed.webp"):
        Image.fromarray(gradient(4)).save(tmp_path / name)
    with cairn.start_run() as run:
        cairn.log_artifact(tmp_path / f"{stem}.png", "images")
        cairn.log_artifact(tmp_path / f"{stem}%compressed.webp", "images")
    (item,) = cairn.Client().list_media(run.run_id)
    assert (item.key, item.step, item.timestamp) == ("old_key", 4, 1700000000000)
    assert item.preview == f"images/{stem}%compressed.webp"


def test_the_media_index_spills_into_numbered_tags_when_one_is_full() -> None:
    from cairn.client import media_index
    from cairn.tracking.validation import MAX_TAG_VALUE_LENGTH

    items = [media_index.entry("text", f"notes/{'n' * 60}-{i}.md", f"notes/{'n' * 60}-{i}.md", None, 1_700_000_000_000 + i)
             for i in range(300)]
    tags: dict[str, str] = {}
    for n in range(1, len(items) + 1):  # as _index_add writes them, one append at a time
        name, value = media_index.last_chunk(items[:n], MAX_TAG_VALUE_LENGTH)
        assert len(value) <= MAX_TAG_VALUE_LENGTH
        tags[name] = value
    assert {"cairn.media", "cairn.media.2", "cairn.media.3"} <= set(tags)
    assert media_index.read_index(tags) == items
